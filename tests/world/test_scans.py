"""`world generate --render-scans`: product-facing scan files from the true contents."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson
from typer.testing import CliRunner

from mainport.imaging.io import read_scan
from mainport.world.cli import app


def test_render_scans_writes_png_and_sidecar_per_request(tmp_path: Path) -> None:
    args = ["generate", "--days", "1", "--scale", "0.005", "--seed", "3", "--boost", "50"]
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path), "--no-progress", "--render-scans"])
    assert result.exit_code == 0, result.output
    requests = [orjson.loads(x) for x in (tmp_path / "scans" / "requests.jsonl").read_bytes().splitlines()]
    assert requests and {r["phase"] for r in requests} <= {"origin", "arrival"}
    for req in requests:
        png = tmp_path / "scans" / f"{req['request_id']}.png"
        sidecar = orjson.loads(png.with_suffix(".json").read_bytes())
        assert sidecar["container_id"] == req["container_number"]
        assert {"scanner_id", "pixel_pitch_mm", "energy_mev", "scan_time", "direction"} <= set(sidecar)
        scan = read_scan(png)
        assert scan.pixels.dtype == np.uint16 and scan.pixels.size > 1000
    assert '"scans_rendered"' in result.output
    # The truth is not in the product-facing files.
    assert not list((tmp_path / "scans").glob("*truth*"))
