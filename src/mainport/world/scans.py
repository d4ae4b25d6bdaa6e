"""Render the world's scan requests into product-facing image files with `mainport.imaging`.

Each request (origin scan at a participating port, arrival re-scan of a box the policy picked) becomes
`scans/<request_id>.png`, a 16-bit PNG with a JSON sidecar (container_id, scanner_id, pixel_pitch_mm,
energy_mev, scan_time, direction). The image is rendered from the box's TRUE contents; the truth stays in
truth/ and scans/requests.jsonl.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

# World commodity -> the renderer's cargo classes (it knows a few textures, by density and packing).
_CARGO = {
    "bananas": "bananas",
    "pineapples": "bananas",
    "avocados": "bananas",
    "fruit_other": "bananas",
    "shrimp": "bananas",
    "frozen_meat": "bananas",
    "juice": "bananas",
    "coffee": "coffee",
    "sugar": "coffee",
    "cocoa_beans": "cocoa",
    "cocoa_butter": "cocoa",
    "tiles": "tiles",
    "machinery": "machinery",
    "auto_parts": "machinery",
    "chemicals": "machinery",
    "paper": "machinery",
}
# World hiding place -> the renderer's concealment kinds.
_KIND = {"doors": "door", "reefer_unit": "reefer", "floor": "floor", "roof": "wall", "front_wall": "wall"}
_SCANNER = {"origin": "GYE-DT6", "arrival": "RTM-GANTRY9"}


def contents_of(request: dict[str, Any]) -> Any:
    from mainport.imaging.scene import Concealment, ContainerContents

    c = request["contents"]
    hidden = tuple(
        Concealment(_KIND.get(x["position"], "cargo"), float(x["mass_kg"]))  # type: ignore[arg-type]
        for x in c["concealments"]
        if x["position"] != "sea_chest"
    )
    return ContainerContents(
        size_ft=c["size_ft"],
        reefer=c["reefer"],
        commodity=_CARGO.get(c["commodity"], "furniture"),  # type: ignore[arg-type]
        fill_fraction=float(c["fill_fraction"]),
        concealments=hidden,
        high_cube=str(c["size_type"]).startswith("45"),
        layout_seed=sum(map(ord, request["container_number"])),
    )


def render_requests(out: Path | str, *, grid_mm: float = 20.0) -> int:
    """Render every request in out/scans/requests.jsonl; returns how many files were written."""
    try:
        from mainport.imaging.io import write_scan
        from mainport.imaging.render import render_scan
    except ModuleNotFoundError as exc:  # pragma: no cover - imaging is part of the package
        raise RuntimeError("mainport.imaging is not available: cannot render scans") from exc
    root = Path(out) / "scans"
    n = 0
    for line in (root / "requests.jsonl").read_bytes().splitlines():
        req = orjson.loads(line)
        scan = render_scan(
            contents_of(req),
            _SCANNER[req["phase"]],
            seed=n,
            reverse=n % 2 == 1,
            container_id=req["container_number"],
            scan_time=datetime.fromisoformat(req["scan_time"].replace("Z", "+00:00")),
            grid_mm=grid_mm,
        )
        write_scan(scan, root / f"{req['request_id']}.png")
        n += 1
    return n


def pair_requests(out: Path | str, *, limit: int) -> list[dict[str, Any]]:
    """Up to `limit` containers with an origin scan and a later arrival re-scan: both requests of each, in
    scan-time order. A box whose contents changed between the two (a load added after the origin scan) comes
    first, so that a small demo still has a difference to look at; then the others in time order."""
    requests = [
        orjson.loads(line) for line in (Path(out) / "scans" / "requests.jsonl").read_bytes().splitlines()
    ]
    origins = {r["container_number"]: r for r in requests if r["phase"] == "origin"}
    pairs = []
    for arrival in requests:
        origin = origins.get(arrival["container_number"])
        if arrival["phase"] == "arrival" and origin and origin["scan_time"] < arrival["scan_time"]:
            changed = origin["contents"]["concealments"] != arrival["contents"]["concealments"]
            pairs.append((not changed, arrival["scan_time"], origin, arrival))
    pairs.sort(key=lambda p: (p[0], p[1]))
    chosen = [r for _, _, origin, arrival in pairs[:limit] for r in (origin, arrival)]
    return sorted(chosen, key=lambda r: r["scan_time"])


def render_pairs(out: Path | str, *, limit: int, grid_mm: float = 20.0) -> list[Path]:
    """Render `pair_requests` into out/scans/<request_id>.png (+ JSON sidecar); returns the image paths."""
    from mainport.imaging.io import write_scan
    from mainport.imaging.render import render_scan

    root = Path(out) / "scans"
    written = []
    for n, req in enumerate(pair_requests(out, limit=limit)):
        scan = render_scan(
            contents_of(req),
            _SCANNER[req["phase"]],
            seed=n,
            reverse=n % 2 == 1,
            container_id=req["container_number"],
            scan_time=datetime.fromisoformat(req["scan_time"].replace("Z", "+00:00")),
            grid_mm=grid_mm,
        )
        path = root / f"{req['request_id']}.png"
        write_scan(scan, path)
        written.append(path)
    return written


if __name__ == "__main__":  # python -m mainport.world.scans OUT PAIRS: render in a process of its own
    import sys

    written = render_pairs(sys.argv[1], limit=int(sys.argv[2]))
    sys.stdout.write(orjson.dumps([str(p) for p in written]).decode())
