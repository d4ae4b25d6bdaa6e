"""An anonymous 1 GB upload is refused within 100 ms with under 1 MB read (issue 14).

Also an anonymous 100 MiB upload that declares its size (below the route's limit: refused for want of
credentials, not for its size).

A real uvicorn server on a free port; a raw socket client announces a 1 GiB multipart body to /api/v1/scans
(once with its Content-Length, once chunked so that the server cannot know the size up front) and streams
zeros until the answer comes. Measured: time from the end of the request headers to the answer's status line,
the bytes the application read of the body (counted by a wrapper between uvicorn and the app), and the bytes
the client got into the socket before it was answered (that includes the kernel's buffers). Baseline in the
same run: the same anonymous upload to the app with the request guard taken out (the old behaviour, up to a
64 MiB cut-off so that the machine is not filled).

    python benchmarks/upload_refusal.py
"""

from __future__ import annotations

import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

GIB = 1 << 30
CHUNK = 64 * 1024
BASELINE_CAP = 64 * 1024 * 1024


class Counting:
    """ASGI wrapper: how many body bytes the application has read."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.read = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def counted() -> Any:
            message = await receive()
            if message.get("type") == "http.request":
                self.read += len(message.get("body", b""))
            return message

        await self.app(scope, counted, send)


def _serve(app: Any) -> tuple[Any, int]:
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("server did not start")
        time.sleep(0.02)
    return server, port


def upload(port: int, *, chunked: bool, total: int = GIB, cap: int | None = None) -> dict[str, Any]:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.settimeout(30)
    boundary = "zzbench"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="scan.npy"\r\n\r\n'.encode()
    )
    lines = [
        "POST /api/v1/scans HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        f"Content-Type: multipart/form-data; boundary={boundary}",
    ]
    lines.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {total}")
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    started = time.perf_counter()
    sent, answered_at, status = 0, None, ""
    zeros = b"\0" * CHUNK
    sock.setblocking(False)
    limit = min(total, cap or total)
    while sent < limit:
        piece = (head if sent == 0 else zeros)[: limit - sent]
        data = f"{len(piece):x}\r\n".encode() + piece + b"\r\n" if chunked else piece
        try:
            n = sock.send(data)
            sent += min(n, len(piece))
        except BlockingIOError:
            pass
        except (BrokenPipeError, ConnectionResetError):
            break
        try:
            got = sock.recv(4096)
            if got:
                answered_at = time.perf_counter()
                status = got.split(b"\r\n", 1)[0].decode()
                break
        except BlockingIOError:
            continue
        except ConnectionResetError:
            break
    if answered_at is None:
        sock.setblocking(True)
        try:
            got = sock.recv(4096)
            answered_at = time.perf_counter()
            status = got.split(b"\r\n", 1)[0].decode() if got else "closed"
        except OSError as exc:
            answered_at, status = time.perf_counter(), f"error {exc}"
    sock.close()
    return {"status": status, "ms": (answered_at - started) * 1000, "client_sent": sent}


def main() -> None:
    from mainport.api.app import create_app
    from mainport.api.middleware import RequestGuard
    from mainport.config import Settings
    from mainport.database import Base, build_engine, make_session_factory
    from mainport.domains import load_models

    load_models()
    tmp = Path(tempfile.mkdtemp(prefix="upload-bench-"))
    engine = build_engine(f"sqlite:///{tmp / 'bench.db'}")
    Base.metadata.create_all(engine)
    settings = Settings(environment="test", secret_key="b" * 40, data_dir=tmp, database_url="sqlite://")
    app = create_app(settings, session_factory=make_session_factory(engine))
    guarded = Counting(app)
    server, port = _serve(guarded)
    print("anonymous 1 GiB upload to POST /api/v1/scans (guard on):")
    rows = []
    for chunked, total in ((False, GIB), (True, GIB), (False, 100 << 20)) * 3:
        guarded.read = 0
        r = upload(port, chunked=chunked, total=total)
        time.sleep(0.05)
        rows.append((chunked, r, guarded.read))
        how = "chunked" if chunked else f"Content-Length {total >> 20} MiB"
        print(
            f"  {how}: {r['status']!r} in {r['ms']:.1f} ms; app read {guarded.read:,} bytes; "
            f"client got {r['client_sent']:,} bytes into the socket (kernel buffers)"
        )
    server.should_exit = True

    # Baseline, same run: the app without the guard (the route reads the body before authenticating).
    bare = create_app(settings, session_factory=make_session_factory(engine))
    bare.user_middleware = [m for m in bare.user_middleware if m.cls is not RequestGuard]
    bare.middleware_stack = None
    counted = Counting(bare)
    server, port = _serve(counted)
    r = upload(port, chunked=False, total=BASELINE_CAP)
    time.sleep(0.2)
    print(
        f"baseline without the guard, {BASELINE_CAP >> 20} MiB: {r['status']!r} in {r['ms']:.1f} ms; "
        f"app read {counted.read:,} bytes"
    )
    server.should_exit = True
    worst_ms = max(x[1]["ms"] for x in rows)
    worst_read = max(x[2] for x in rows)
    ok = (
        worst_ms < 100
        and worst_read < 1_000_000
        and all(x[1]["status"].split(" ")[1:2] in (["401"], ["413"]) for x in rows)
    )
    print(f"worst: {worst_ms:.1f} ms, {worst_read:,} bytes read by the app -> {'PASS' if ok else 'FAIL'}")
    print(
        f"bytes the app read: {worst_read:,} with the guard vs {counted.read:,} without it (same run); "
        f"time to the answer: {worst_ms:.1f} ms vs {r['ms']:.1f} ms"
    )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
