from __future__ import annotations

from pathlib import Path

import pytest

from mainport.config import Settings
from mainport.errors import NotFound, ValidationFailed
from mainport.imaging.store import ImageStore, LocalImageStore, image_store


def test_local_store_put_open_exists(tmp_path: Path) -> None:
    store = LocalImageStore(tmp_path / "images")
    assert isinstance(store, ImageStore)
    uri = store.put(b"\x89PNG-bytes", "overlays/ABCU1234560/c-1.png")
    assert uri == "local://overlays/ABCU1234560/c-1.png"
    assert store.exists(uri)
    assert store.read_bytes(uri) == b"\x89PNG-bytes"
    src = tmp_path / "scan.npy"
    src.write_bytes(b"npy")
    uri2 = store.put(src, "scans/X/a.npy")
    assert store.open(uri2).read_bytes() == b"npy"
    assert store.open(uri2).parent == tmp_path / "images" / "scans" / "X"
    assert not list((tmp_path / "images").rglob("*.part"))


@pytest.mark.parametrize("key", ["../escape.png", "/abs.png", "a/../../b.png", "a\\b.png", ""])
def test_keys_cannot_escape_the_store(tmp_path: Path, key: str) -> None:
    with pytest.raises(ValidationFailed):
        LocalImageStore(tmp_path).put(b"x", key)


def test_missing_and_foreign_uris(tmp_path: Path) -> None:
    store = LocalImageStore(tmp_path)
    assert not store.exists("local://nothing.png")
    assert not store.exists("s3://bucket/x.png")
    with pytest.raises(NotFound):
        store.open("local://nothing.png")
    with pytest.raises(ValidationFailed):
        store.open("s3://bucket/x.png")


def test_store_chosen_by_settings(tmp_path: Path) -> None:
    s = Settings(environment="test", data_dir=tmp_path)
    store = image_store(s)
    assert isinstance(store, LocalImageStore) and store.root == tmp_path / "images"
    with pytest.raises(ValidationFailed, match="unknown image store"):
        image_store(Settings(environment="test", data_dir=tmp_path, image_store="s3"))
