"""Origin-scan transfer between instances: resumable, chunk-signed, hash-verified.

The sender first sends a signed ``origin_scan`` message (under the agreement for that category) whose body
is the manifest: transfer id, file name, size, chunk size, SHA-256 of the whole file, and the scan's
metadata. It then PUTs the chunks, each signed (Ed25519 over ``"<transfer id>:<n>:<sha256 of the chunk>"``
with the key named in the headers), in any order and as often as it likes: a chunk is written atomically
and only once. The sender asks which chunks arrived (signed the same way over ``"<transfer id>:status"``)
and sends only the missing ones, so a transfer killed mid-way resumes where it stopped. When every chunk is
there the file is assembled and its SHA-256 checked against the manifest: only then is it complete;
a mismatch is marked corrupt and its chunks are dropped for a clean re-send."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from mainport.errors import NotAuthenticated, NotFound, PayloadTooLarge, ValidationFailed
from mainport.federation import envelope as env
from mainport.federation.models import FederationMessage, Partner, PartnerKey

# Partners are not users here: the request guard reads at most 64 KiB from a caller without a session or
# token (api.middleware.PREAUTH_BYTES), so chunks stay within that; each is signed, so it is cheap to refuse.
MAX_CHUNK = 64 * 1024
MAX_FILE = 64 * 1024**3
_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def file_sha256(path: Path, block: int = 4 * 1024 * 1024) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while part := f.read(block):
            digest.update(part)
    return digest.hexdigest()


def chunk_statement(transfer_id: str, n: int, chunk: bytes) -> bytes:
    return f"{transfer_id}:{n}:{hashlib.sha256(chunk).hexdigest()}".encode()


def status_statement(transfer_id: str) -> bytes:
    return f"{transfer_id}:status".encode()


def manifest(transfer_id: str, path: Path, chunk_size: int, meta: dict[str, Any]) -> dict[str, Any]:
    """The body of the origin_scan message for a file."""
    size = path.stat().st_size
    return {
        "transfer_id": transfer_id,
        "filename": path.name,
        "size": size,
        "chunk_size": chunk_size,
        "chunks": max(1, -(-size // chunk_size)),
        "sha256": file_sha256(path),
        "meta": meta,
    }


# -- receiving --------------------------------------------------------------------------------------------


@dataclass
class Transfer:
    folder: Path
    manifest: dict[str, Any]

    @property
    def chunks(self) -> int:
        return int(self.manifest["chunks"])

    def part(self, n: int) -> Path:
        return self.folder / f"part-{n:06d}"

    def received(self) -> list[int]:
        return sorted(int(p.name[5:]) for p in self.folder.glob("part-*") if p.name[5:].isdigit())

    @property
    def final(self) -> Path:
        return self.folder / str(Path(str(self.manifest["filename"])).name)

    def state(self) -> str:
        marker = self.folder / "state"
        return marker.read_text(encoding="utf-8").strip() if marker.exists() else "receiving"


# Manifests are immutable once accepted: looked up once per (database, partner, transfer) in this process.
_MANIFESTS: dict[tuple[int, int, str], dict[str, Any]] = {}


def _transfer(session: Session, data_dir: Path, sender: Partner, transfer_id: str) -> Transfer:
    """The transfer this partner announced in an accepted origin_scan message."""
    if not _ID.match(transfer_id):
        raise ValidationFailed("transfer id: 8..64 letters, digits, '-' or '_'")
    folder = data_dir / "federation" / "transfers" / sender.code / transfer_id
    cache_key = (id(session.get_bind()), sender.id, transfer_id)
    if cache_key in _MANIFESTS:
        return Transfer(folder, _MANIFESTS[cache_key])
    rows = session.scalars(
        select(FederationMessage).where(
            FederationMessage.direction == "in",
            FederationMessage.partner_id == sender.id,
            FederationMessage.category == "origin_scan",
            FederationMessage.status == "accepted",
        )
    ).all()
    found = next((m for m in rows if (m.envelope.get("body") or {}).get("transfer_id") == transfer_id), None)
    if found is None:
        raise NotFound(f"no origin_scan transfer {transfer_id} announced by {sender.code}")
    body = found.envelope["body"]
    if not 0 < int(body["chunk_size"]) <= MAX_CHUNK or not 0 < int(body["size"]) <= MAX_FILE:
        raise ValidationFailed("manifest: chunk_size or size out of bounds")
    folder.mkdir(parents=True, exist_ok=True)
    if len(_MANIFESTS) > 1000:
        _MANIFESTS.clear()
    _MANIFESTS[cache_key] = body
    return Transfer(folder, body)


def _sender(session: Session, code: str, kid: str, statement: bytes, signature: str) -> Partner:
    partner = session.scalar(select(Partner).where(Partner.code == code, Partner.active.is_(True)))
    key = (
        session.scalar(
            select(PartnerKey).where(
                PartnerKey.partner_id == partner.id, PartnerKey.kid == kid, PartnerKey.revoked_at.is_(None)
            )
        )
        if partner is not None
        else None
    )
    if partner is None or key is None:
        raise NotAuthenticated("unknown partner or key")
    try:
        Ed25519PublicKey.from_public_bytes(env.unb64(key.public_key)).verify(env.unb64(signature), statement)
    except (InvalidSignature, ValueError):
        raise NotAuthenticated("chunk signature does not verify") from None
    return partner


def receive_chunk(
    *,
    session: Session,
    data_dir: Path,
    transfer_id: str,
    n: int,
    chunk: bytes,
    sender: str,
    kid: str,
    signature: str,
) -> dict[str, Any]:
    if len(chunk) > MAX_CHUNK:
        raise PayloadTooLarge(f"chunk larger than {MAX_CHUNK} bytes")
    partner = _sender(session, sender, kid, chunk_statement(transfer_id, n, chunk), signature)
    t = _transfer(session, data_dir, partner, transfer_id)
    if not 0 <= n < t.chunks:
        raise ValidationFailed(f"chunk {n} outside 0..{t.chunks - 1}")
    last = n == t.chunks - 1
    expected = (
        int(t.manifest["size"]) - n * int(t.manifest["chunk_size"]) if last else int(t.manifest["chunk_size"])
    )
    if len(chunk) != expected:
        raise ValidationFailed(f"chunk {n}: {len(chunk)} bytes, the manifest says {expected}")
    if t.state() != "complete" and not t.part(n).exists():
        tmp = t.folder / f".tmp-{n:06d}-{os.getpid()}"
        with tmp.open("wb") as out:
            out.write(chunk)
        os.replace(tmp, t.part(n))  # atomic: a chunk is there whole or not at all
    if n == t.chunks - 1 or t.state() == "complete":
        return _maybe_complete(t)  # senders go in order; a resume asks the status, which completes too
    return {"state": "receiving", "chunks": t.chunks}


def _maybe_complete(t: Transfer) -> dict[str, Any]:
    got = t.received()
    if t.state() == "complete":
        return {"state": "complete", "received": t.chunks, "chunks": t.chunks, "path": str(t.final)}
    if len(got) < t.chunks:
        return {"state": "receiving", "received": len(got), "chunks": t.chunks}
    lock = t.folder / ".assembling.lock"
    try:
        fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:  # another request assembles it now; the sender asks again
        return {"state": "assembling", "received": len(got), "chunks": t.chunks}
    os.close(fd)
    try:
        return _assemble(t, got)
    finally:
        lock.unlink(missing_ok=True)


def _assemble(t: Transfer, got: list[int]) -> dict[str, Any]:
    digest = hashlib.sha256()
    tmp = t.folder / ".assembling"
    with tmp.open("wb") as out:
        for n in range(t.chunks):
            with t.part(n).open("rb") as part:
                while block := part.read(4 * 1024 * 1024):
                    digest.update(block)
                    out.write(block)
    if digest.hexdigest() != t.manifest["sha256"]:
        tmp.unlink()
        for n in got:
            t.part(n).unlink(missing_ok=True)
        (t.folder / "state").write_text("corrupt\n", encoding="utf-8")
        return {"state": "corrupt", "received": 0, "chunks": t.chunks}
    os.replace(tmp, t.final)
    (t.folder / "manifest.json").write_text(json.dumps(t.manifest, indent=1), encoding="utf-8")
    (t.folder / "state").write_text("complete\n", encoding="utf-8")
    for n in got:
        t.part(n).unlink(missing_ok=True)
    return {"state": "complete", "received": t.chunks, "chunks": t.chunks, "path": str(t.final)}


def status(
    *, session: Session, data_dir: Path, transfer_id: str, sender: str, kid: str, signature: str
) -> dict[str, Any]:
    partner = _sender(session, sender, kid, status_statement(transfer_id), signature)
    t = _transfer(session, data_dir, partner, transfer_id)
    state = t.state()
    if state == "receiving":
        state = _maybe_complete(t)["state"]
    if state == "corrupt":
        (t.folder / "state").unlink()  # a clean re-send starts now
    have = list(range(t.chunks)) if state == "complete" else t.received()
    return {"state": state, "received": have, "chunks": t.chunks}


# -- sending ----------------------------------------------------------------------------------------------


def _chunks(path: Path, size: int) -> Iterator[tuple[int, bytes]]:
    with path.open("rb") as f:
        n = 0
        while block := f.read(size):
            yield n, block
            n += 1


def push(
    *,
    base_url: str,
    sender: str,
    kid: str,
    key: Ed25519PrivateKey,
    transfer_id: str,
    path: Path,
    chunk_size: int,
    timeout_s: float = 600.0,
    wait_s: float = 1800.0,
) -> dict[str, int]:
    """Send the chunks the receiver does not have yet (after its manifest message was accepted)."""
    import httpx

    url = f"{base_url.rstrip('/')}/api/v1/federation/transfers/{transfer_id}"
    head = {"X-Federation-From": sender, "X-Federation-Kid": kid}
    with httpx.Client(timeout=timeout_s) as client:
        answer = client.get(
            url, headers={**head, "X-Federation-Signature": env.b64(key.sign(status_statement(transfer_id)))}
        )
        answer.raise_for_status()
        have = set(answer.json()["received"])
        sent = skipped = 0
        for n, chunk in _chunks(path, chunk_size):
            if n in have:
                skipped += 1
                continue
            sig = env.b64(key.sign(chunk_statement(transfer_id, n, chunk)))
            r = client.put(
                f"{url}/chunks/{n}", content=chunk, headers={**head, "X-Federation-Signature": sig}
            )
            r.raise_for_status()
            sent += 1
        final = r.json()["state"] if sent else answer.json()["state"]
        deadline = time.monotonic() + wait_s
        while final in ("receiving", "assembling") and time.monotonic() < deadline:
            # Chunks that came out of order, or an assembly under way: the status completes what is whole.
            sig = env.b64(key.sign(status_statement(transfer_id)))
            answer = client.get(url, headers={**head, "X-Federation-Signature": sig})
            answer.raise_for_status()
            final = answer.json()["state"]
            if final == "assembling":
                time.sleep(1.0)
            elif final == "receiving":
                break  # chunks are missing: a later run sends them
    return {"sent": sent, "skipped": skipped, "complete": int(final == "complete")}


def cleanup(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
