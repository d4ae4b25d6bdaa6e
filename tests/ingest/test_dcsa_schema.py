from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest

from mainport.ingest.dcsa.schema import event_check, reference_schema
from tests.ingest.helpers import event

EXAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "specs" / "dcsa" / "examples"


def _examples() -> list[tuple[str, dict[str, object]]]:
    if not EXAMPLES.is_dir():
        pytest.skip(f"shared DCSA examples not found at {EXAMPLES}")
    out = [("2.2.0", e) for e in json.loads((EXAMPLES / "tnt-220-response.json").read_text())]
    out += [("3.0.0", e) for e in json.loads((EXAMPLES / "tnt-300-response.json").read_text())["events"]]
    return out


def _broken() -> list[dict[str, object]]:
    base = event(1)
    cases = []
    for key, value in [
        ("eventType", "FOO"),
        ("eventType", 3),
        ("emptyIndicatorCode", "FULL"),
        ("seals", [{"sealNumber": "x"}]),
        ("seals", "x"),
        ("equipmentReference", "X" * 16),
        ("transportCall", {"modeOfTransport": "SHIP", "transportCallID": "t"}),
        ("transportCall", {"transportCallID": "t"}),
        ("eventClassifierCode", "REQ"),
    ]:
        e = copy.deepcopy(base)
        e[key] = value
        cases.append(e)
    for key in ("eventCreatedDateTime", "eventDateTime", "equipmentEventTypeCode"):
        e = copy.deepcopy(base)
        del e[key]
        cases.append(e)
    return [*cases, base]


def test_compiled_validator_agrees_with_jsonschema() -> None:
    validators = {v: jsonschema.Draft4Validator(reference_schema(v)) for v in ("2.2.0", "3.0.0")}
    cases = _examples() + [("2.2.0", e) for e in _broken()]
    invalid = 0
    for version, ev in cases:
        ours = event_check(version)(ev)
        assert (ours is None) == validators[version].is_valid(ev), (ev, ours)
        invalid += ours is not None
    assert invalid == len(_broken()) - 1
