"""Where scan images, previews and overlays live: an `ImageStore` behind a protocol, chosen by settings.

URIs are opaque strings ``<scheme>://<key>``; keys are relative POSIX paths chosen by the caller. Contract of
`open`: it returns a local, readable path, and objects whose keys differ only in their suffix (an image and
its ``.json`` sidecar) end up side by side, so `read_scan` finds the sidecar. A remote store (S3, a
vendor archive) implements the same four methods and caches what it opens in a local folder.
"""

from __future__ import annotations

import shutil
from pathlib import Path, PurePosixPath
from typing import Protocol, runtime_checkable

from mainport.config import Settings, get_settings
from mainport.errors import NotFound, ValidationFailed


@runtime_checkable
class ImageStore(Protocol):
    scheme: str

    def put(self, data: bytes | Path, key: str) -> str:
        """Store bytes or a copy of a local file under ``key``; returns the URI."""
        ...

    def open(self, uri: str) -> Path:
        """A local path to read the object (see the module docstring for the sidecar rule)."""
        ...

    def read_bytes(self, uri: str) -> bytes: ...

    def exists(self, uri: str) -> bool: ...


def _clean_key(key: str) -> str:
    # Keys come from scan metadata (container numbers, scanner ids): never let one escape the store.
    parts = PurePosixPath(key).parts
    if not parts or key.startswith("/") or any(p in ("..", ".", "") for p in parts) or "\\" in key:
        raise ValidationFailed(f"invalid image store key {key!r}")
    return "/".join(parts)


class LocalImageStore:
    """A folder on disk (``settings.data_dir / "images"``); URIs are ``local://<key>``."""

    scheme = "local"

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def uri(self, key: str) -> str:
        return f"{self.scheme}://{_clean_key(key)}"

    def _path(self, uri: str) -> Path:
        prefix = f"{self.scheme}://"
        if not uri.startswith(prefix):
            raise ValidationFailed(f"{uri!r} is not a {self.scheme} image store URI")
        return self.root / _clean_key(uri[len(prefix) :])

    def put(self, data: bytes | Path, key: str) -> str:
        uri = self.uri(key)
        dest = self._path(uri)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".part")
        # write then rename: a crash never leaves a half-written image under its final name
        if isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            shutil.copyfile(data, tmp)
        tmp.replace(dest)
        return uri

    def open(self, uri: str) -> Path:
        path = self._path(uri)
        if not path.is_file():
            raise NotFound(f"image {uri} is not in the store")
        return path

    def read_bytes(self, uri: str) -> bytes:
        return self.open(uri).read_bytes()

    def exists(self, uri: str) -> bool:
        try:
            return self._path(uri).is_file()
        except ValidationFailed:
            return False


def image_store(settings: Settings | None = None) -> ImageStore:
    """The store named by ``settings.image_store`` (only ``local`` exists so far)."""
    settings = settings or get_settings()
    if settings.image_store == "local":
        return LocalImageStore(settings.data_dir / "images")
    raise ValidationFailed(f"unknown image store {settings.image_store!r}; known: local")


def settings_and_store(
    settings: Settings | None = None, store: ImageStore | None = None
) -> tuple[Settings, ImageStore]:
    """The settings and image store a service uses: the caller's, else the configured ones."""
    settings = settings or get_settings()
    return settings, store or image_store(settings)
