"""Origin-scan transfer between instances, killed mid-way and resumed: nothing corrupted, nothing sent twice.

    python benchmarks/federation_transfer.py --size-mb 1024          # the issue's 1 GB
    python benchmarks/federation_transfer.py --size-mb 64 --quick    # a short check

A receiving instance (uvicorn, SQLite) knows the sending control unit, its key and an agreement to receive
origin scans. The sender runs in a child process (`push`) and is killed with SIGKILL once about half the
chunks arrived; a second run sends only what is missing; the assembled file's SHA-256 must equal the
manifest's. The baseline in the same run is an uninterrupted transfer of the same file (skipped with
--quick). Prints one JSON object."""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

SENDER = "CU-ECGYE"


def _send(args: argparse.Namespace) -> None:
    from mainport.federation import transfer

    key = serialization.load_pem_private_key(Path(args.pem).read_bytes(), None)
    assert isinstance(key, Ed25519PrivateKey)
    out = transfer.push(
        base_url=args.url,
        sender=SENDER,
        kid="cu1",
        key=key,
        transfer_id=args.tid,
        path=Path(args.path),
        chunk_size=transfer.MAX_CHUNK,
    )
    print(json.dumps(out))


def _receiver(folder: Path) -> tuple[str, object, threading.Thread]:
    import uvicorn

    from mainport.api.app import create_app
    from mainport.config import Settings
    from mainport.database import Base, build_engine
    from mainport.database.core import make_session_factory
    from mainport.domains import load_models

    load_models()
    engine = build_engine(f"sqlite:///{folder / 'rtm.db'}")
    Base.metadata.create_all(engine)
    factory = make_session_factory(engine)
    settings = Settings(
        environment="test", secret_key="r" * 40, data_dir=folder / "data", federation_code="NL-RTM-CUSTOMS"
    )
    app = create_app(settings, session_factory=factory)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", (factory, server), thread


def _announce(factory: object, key: Ed25519PrivateKey, body: dict[str, object]) -> None:
    from mainport.database import utcnow
    from mainport.federation import envelope as env
    from mainport.federation import service
    from mainport.federation.keys import Instance
    from mainport.identity.principal import system_principal

    actor = system_principal()
    me = Instance("NL-RTM-CUSTOMS", "r" * 40)
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    with factory.begin() as s:  # type: ignore[attr-defined]
        if not service.list_partners(session=s, actor=actor):
            service.add_partner(session=s, actor=actor, code=SENDER, name="Guayaquil", base_url="http://cu")
            service.add_partner_key(session=s, actor=actor, code=SENDER, kid="cu1", public_key=env.b64(raw))
            service.agree(
                session=s,
                actor=actor,
                code=SENDER,
                category="origin_scan",
                direction="receive",
                reference="MoU",
            )
        envelope = env.sign(
            {
                "v": 1,
                "id": str(body["transfer_id"]),
                "from": SENDER,
                "to": me.code,
                "category": "origin_scan",
                "issued_at": utcnow().isoformat(),
                "kid": "cu1",
                "body": body,
            },
            key,
        )
        msg = service.accept(session=s, me=me, envelope=envelope)
        assert not isinstance(msg, service.Refusal), msg


def _child(url: str, tid: str, path: Path, pem: Path) -> subprocess.Popen[str]:
    cmd = [
        sys.executable,
        __file__,
        "--send",
        "--url",
        url,
        "--tid",
        tid,
        "--path",
        str(path),
        "--pem",
        str(pem),
    ]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=64)
    parser.add_argument("--kill-at", type=float, default=0.5)
    parser.add_argument("--quick", action="store_true", help="skip the uninterrupted baseline")
    parser.add_argument("--send", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--tid", help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    parser.add_argument("--pem", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.send:
        _send(args)
        return
    from mainport.federation import transfer

    with tempfile.TemporaryDirectory(prefix="mp-transfer-") as tmp:
        folder = Path(tmp)
        scan = folder / "origin-scan.bin"
        with scan.open("wb") as out:
            for _ in range(args.size_mb):
                out.write(os.urandom(1024 * 1024))
        key = Ed25519PrivateKey.generate()
        pem = folder / "cu.pem"
        pem.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        url, (factory, server), thread = _receiver(folder)
        result: dict[str, object] = {"size_mb": args.size_mb, "chunk_bytes": transfer.MAX_CHUNK}

        body = transfer.manifest(
            "killed-transfer-1", scan, transfer.MAX_CHUNK, {"container_number": "MSCU1234565"}
        )
        chunks = int(body["chunks"])
        _announce(factory, key, body)
        parts = folder / "data" / "federation" / "transfers" / SENDER / "killed-transfer-1"
        started = time.perf_counter()
        child = _child(url, "killed-transfer-1", scan, pem)
        while child.poll() is None:
            if parts.exists() and sum(1 for _ in parts.glob("part-*")) >= args.kill_at * chunks:
                os.kill(child.pid, signal.SIGKILL)
                break
            time.sleep(0.02)
        child.wait()
        before = sum(1 for _ in parts.glob("part-*"))
        first_s = time.perf_counter() - started
        resumed_at = time.perf_counter()
        second = _child(url, "killed-transfer-1", scan, pem)
        out, err = second.communicate()
        if second.returncode != 0:
            raise SystemExit(f"resumed sender failed: {err.strip().splitlines()[-1:]}")
        resumed = json.loads(out)
        resume_s = time.perf_counter() - resumed_at
        arrived = parts / scan.name
        ok = arrived.exists() and transfer.file_sha256(arrived) == body["sha256"]
        result.update(
            chunks=chunks,
            killed_with_signal=-child.returncode if child.returncode else 0,
            chunks_before_kill=before,
            resent=resumed["sent"],
            skipped_on_resume=resumed["skipped"],
            sent_twice=resumed["sent"] + before - chunks,
            hash_verified=ok,
            interrupted_total_s=round(first_s + resume_s, 2),
        )
        if not args.quick:
            base = transfer.manifest("baseline-transfer-1", scan, transfer.MAX_CHUNK, {})
            _announce(factory, key, base)
            t0 = time.perf_counter()
            child = _child(url, "baseline-transfer-1", scan, pem)
            child.communicate()
            base_s = time.perf_counter() - t0
            result.update(
                baseline_uninterrupted_s=round(base_s, 2),
                baseline_mb_per_s=round(args.size_mb / base_s, 1),
                interrupted_vs_baseline=round((first_s + resume_s) / base_s, 2),
            )
        server.should_exit = True  # type: ignore[attr-defined]
        thread.join(timeout=10)
        print(json.dumps(result))
        if not ok:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
