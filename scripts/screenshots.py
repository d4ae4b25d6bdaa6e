"""Regenerate the README's screenshots (docs/screenshots/*.png) from a freshly bootstrapped server.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--keep DIR]

Starts `mainport serve --bootstrap` on an empty database of its own (a temporary MAINPORT_DATA_DIR and SQLite
file; --keep DIR keeps them there), reads the first admin's password from its output, logs in with Debian's
Chromium through Playwright (executablePath /usr/bin/chromium, or MAINPORT_CHROMIUM) and photographs the main
pages as they open. The records a page shows (a case, a terminal's board, a scanned box) are looked up in the
server's database: the busiest terminal, a case closed with a find, a box with an origin-arrival comparison.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("MAINPORT_CHROMIUM", "/usr/bin/chromium")
VIEWPORT = {"width": 1366, "height": 900}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`mainport serve --bootstrap` in a subprocess; its output is drained (and kept) on a thread."""

    def __init__(self, data_dir: Path, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.env = {
            **os.environ,
            "MAINPORT_DATA_DIR": str(data_dir),
            "MAINPORT_DATABASE_URL": f"sqlite:///{data_dir / 'mainport.db'}",
            "COLUMNS": "200",
        }
        mainport = Path(sys.executable).with_name("mainport")
        self.proc = subprocess.Popen(
            [str(mainport), "serve", "--bootstrap", "--port", str(port)],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._ready = threading.Event()
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            if "Uvicorn running on" in line:
                self._ready.set()

    def wait(self, timeout_s: float) -> str:
        """Wait until it listens; returns the first admin's password."""
        deadline = time.monotonic() + timeout_s
        while not self._ready.wait(1.0):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                tail = "\n".join(self.lines[-30:])
                raise SystemExit(f"the server did not come up:\n{tail}")
        found = re.search(r"user admin password (\S+)", "\n".join(self.lines))
        if not found:
            raise SystemExit("no first-admin password in the server's output (was the database empty?)")
        return found.group(1)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def _records(env: dict[str, str]) -> dict[str, Any]:
    """What the detail pages show, read from the server's database."""
    os.environ.update({k: env[k] for k in ("MAINPORT_DATA_DIR", "MAINPORT_DATABASE_URL")})
    from sqlalchemy import func, select

    from mainport.cases.models import Case
    from mainport.custody.models import CustodyPlan
    from mainport.database import session_scope
    from mainport.database.runtime import get_session_factory
    from mainport.domains import load_models
    from mainport.imaging.models import ScanComparison
    from mainport.shipments.models import Inspection
    from mainport.targeting.models import Selection, SelectionItem

    load_models()
    with session_scope(get_session_factory()) as s:
        case = s.scalar(
            select(Case.id).order_by((Case.outcome == "found").desc(), Case.closed_at.is_(None), Case.id)
        )
        facility = s.scalar(
            select(CustodyPlan.facility_code)
            .group_by(CustodyPlan.facility_code)
            .order_by(func.count().desc(), CustodyPlan.facility_code)
        )
        compared = s.scalar(
            select(ScanComparison.container_number)
            .where(ScanComparison.status == "done")
            .order_by(ScanComparison.alert_id.is_(None), ScanComparison.score.desc())
        )
        # A selected declaration whose inspection found something, and the selection with the most outcomes
        # recorded (today's is small early in the day: declarations are selected on the day they are filed).
        found = s.scalar(
            select(SelectionItem.declaration_id)
            .join(Inspection, Inspection.id == SelectionItem.inspection_id)
            .where(Inspection.result == "found")
            .order_by(Inspection.inspected_at.desc())
        )
        busiest = s.execute(
            select(Selection.hub, Selection.day)
            .join(SelectionItem, SelectionItem.selection_id == Selection.id)
            .group_by(Selection.id, Selection.hub, Selection.day)
            .order_by(
                func.count(SelectionItem.inspection_id).desc(), func.count().desc(), Selection.day.desc()
            )
        ).first()
        journey = s.scalar(
            select(CustodyPlan.container_number)
            .where(CustodyPlan.state.in_(("guarded", "inspecting", "discharged")))
            .order_by(CustodyPlan.id)
        )
    return {
        "case": case,
        "facility": facility,
        "compared": compared,
        "found": found,
        "journey": journey,
        "busiest": busiest,
    }


def _pages(rec: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(file name, path, full page) in README order; pages whose record is missing are left out."""
    pages = [
        ("overview", "/", False),
        ("targeting", "/targeting/{}?day={}".format(*rec["busiest"]) if rec["busiest"] else "", False),
        ("declaration", f"/targeting/declarations/{rec['found']}" if rec["found"] else "", False),
        ("monitoring", "/monitoring", True),
        ("alerts", "/alerts", False),
        ("case", f"/cases/{rec['case']}" if rec["case"] else "", False),
        ("custody", f"/custody/board/{rec['facility']}" if rec["facility"] else "", False),
        ("scans", f"/scans/{rec['compared']}" if rec["compared"] else "", False),
        ("container", f"/containers/{rec['journey']}" if rec["journey"] else "", False),
    ]
    return [p for p in pages if p[1]]


def photograph(url: str, password: str, pages: list[tuple[str, str, bool]], out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport=VIEWPORT)  # type: ignore[arg-type]
        page.goto(f"{url}/login")
        page.fill("input[name=username]", "admin")
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_selector("[data-testid=whoami]")
        for name, path, full in pages:
            response = page.goto(f"{url}{path}")
            if response is None or response.status != 200:
                raise SystemExit(f"{path}: HTTP {response.status if response else '?'}")
            page.wait_for_load_state("networkidle")
            if path == "/monitoring":  # charts are drawn in the browser from the API
                page.wait_for_function("document.querySelectorAll('svg [fill], svg circle').length > 20")
            target = out / f"{name}.png"
            if full:  # the charts and the waterbed signals; the long table of public figures left out
                bottom = page.evaluate(
                    "(() => { const t = document.querySelector('#mon-public');"
                    " return t ? t.getBoundingClientRect().top + window.scrollY - 60 : 2400; })()"
                )
                clip = {"x": 0, "y": 0, "width": VIEWPORT["width"], "height": max(VIEWPORT["height"], bottom)}
                page.screenshot(path=str(target), full_page=True, clip=clip)  # type: ignore[arg-type]
            else:
                page.screenshot(path=str(target))
            written.append(target)
            print(f"{target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}  <- {path}")
        browser.close()
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--keep", type=Path, help="keep the server's data folder here (default: temporary)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for the bootstrap")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"Chromium not found at {CHROMIUM}: apt-get install chromium (or MAINPORT_CHROMIUM)")

    def run(data: Path) -> None:
        server = Server(data, _free_port())
        try:
            started = time.perf_counter()
            password = server.wait(args.timeout)
            print(f"server up after {time.perf_counter() - started:.0f} s: {server.url}")
            photograph(server.url, password, _pages(_records(server.env)), args.out)
        finally:
            server.stop()

    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        run(args.keep)
    else:
        with tempfile.TemporaryDirectory(prefix="mainport-shots-") as tmp:
            run(Path(tmp))


if __name__ == "__main__":
    main()
