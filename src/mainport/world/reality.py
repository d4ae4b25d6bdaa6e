"""What opening or scanning a box finds: the simulated world answers the inspections a user orders.

In a real port an officer opens the box and types what was in it. In the synthetic world the only place that
knows what is in a box is the world's ground truth, so the world plays the officers: `WorldInspections`
takes inspection orders (declaration reference, container, scan or physical, when) and answers each with
what the inspection found, using the same detection chances as the world's own inspections
(`smuggling.DETECT`, +5 points for a physical search). The caller (the product-side demo, `mainport.demo`)
sees only these answers, as an officer would report them, never `truth/`.

A load found this way was found at the inspection, so the world's later account of it (the consignee who
would have found it, a tip that would have led to it) no longer happened: `settle_seizures` drops those
records from the seizure feed before it is loaded, and every answer is kept in
`truth/ordered_inspections.jsonl` for evaluation.

Limits (stated): the answers are given after the world was generated, so organisations in the world do not
re-plan on these finds (they do on the world's own inspections); a load the world's own inspections already
seized is gone, and a later inspection of the box finds nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import orjson

from mainport.world.smuggling import DETECT

PHYSICAL_BONUS = 0.05
_OPTS = orjson.OPT_APPEND_NEWLINE


@dataclass(frozen=True)
class InspectionOrder:
    reference: str  # the declaration's reference (MRN): what identifies the shipment
    container_number: str | None
    kind: Literal["scan", "physical"]
    at: datetime  # when the box is scanned or opened (timezone-aware)


@dataclass(frozen=True)
class InspectionFinding:
    order: InspectionOrder
    found: bool
    kg: float
    modus_operandi: str | None  # how it was hidden, as the officers see it once found


class WorldInspections:
    """The inspection service of a generated world (`generate_world`'s output folder)."""

    def __init__(self, directory: Path | str) -> None:
        self.root = Path(directory)
        manifest = orjson.loads((self.root / "manifest.json").read_bytes())
        self.seed = int(manifest["seed"])
        self._loads: dict[str, dict[str, Any]] | None = None
        self.found: dict[str, InspectionFinding] = {}

    def _by_reference(self) -> dict[str, dict[str, Any]]:
        if self._loads is None:
            self._loads = {}
            for line in (self.root / "truth" / "loads.jsonl").read_bytes().splitlines():
                load = orjson.loads(line)
                if load.get("reference"):
                    self._loads[str(load["reference"])] = load
        return self._loads

    def inspect(self, orders: Iterable[InspectionOrder]) -> list[InspectionFinding]:
        """Answer each order: found (with kg and modus operandi) or nothing found. Deterministic per world
        seed, reference and kind: asking twice gives the same answer."""
        loads = self._by_reference()
        findings = []
        trail = []
        for order in orders:
            if order.at.tzinfo is None:
                raise ValueError("inspection time must be timezone-aware (UTC)")
            load = loads.get(order.reference)
            found = False
            if load is not None and load["method"] in DETECT and load["outcome"] != "seized_inspection":
                p = DETECT[load["method"]] + (PHYSICAL_BONUS if order.kind == "physical" else 0.0)
                found = _draw(self.seed, order.reference, order.kind) < min(p, 0.99)
            finding = InspectionFinding(
                order,
                found,
                float(load["kg"]) if found and load else 0.0,
                str(load["method"]) if found and load else None,
            )
            if found:
                self.found[order.reference] = finding
            findings.append(finding)
            trail.append(
                {
                    **asdict(order),
                    "at": order.at.isoformat(),
                    "found": found,
                    "kg": finding.kg,
                    "load": load["id"] if load else None,
                    "world_outcome": load["outcome"] if load else None,
                }
            )
        with (self.root / "truth" / "ordered_inspections.jsonl").open("ab") as fh:
            fh.write(b"".join(orjson.dumps(t, option=_OPTS) for t in trail))
        return findings

    def settle_seizures(self) -> int:
        """Drop from seizures/*.jsonl the world's later account of every load an ordered inspection found
        (the consignee or a tip cannot find a load customs already took). Returns how many were dropped."""
        if not self.found:
            return 0
        dropped = 0
        for path in sorted((self.root / "seizures").glob("seizures-*.jsonl")):
            lines = path.read_bytes().splitlines()
            kept = [ln for ln in lines if orjson.loads(ln).get("reference") not in self.found]
            if len(kept) != len(lines):
                dropped += len(lines) - len(kept)
                path.write_bytes(b"".join(ln + b"\n" for ln in kept))
        return dropped


def _draw(seed: int, reference: str, kind: str) -> float:
    digest = hashlib.sha256(f"{seed}/{reference}/{kind}".encode()).digest()
    return float(np.random.default_rng(int.from_bytes(digest[:8], "big")).random())
