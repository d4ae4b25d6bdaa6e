from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from mainport.database import utcnow
from mainport.ingest.checks import Invalid
from mainport.ingest.dcsa.codegen import fast_event_check
from mainport.ingest.dcsa.schema import event_check, reference_schema
from mainport.ingest.events import to_row
from tests.ingest.helpers import event

EXAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "dcsa"
VERSIONS = ("2.2.0", "3.0.0")


def _examples() -> list[tuple[str, dict[str, Any]]]:
    out = [("2.2.0", e) for e in json.loads((EXAMPLES / "tnt-220-response.json").read_text())]
    out += [("3.0.0", e) for e in json.loads((EXAMPLES / "tnt-300-response.json").read_text())["events"]]
    for name in ("equipment", "iot", "shipment", "transport"):
        request = json.loads((EXAMPLES / f"tnt-300-request-{name}.json").read_text())
        out += [("3.0.0", e) for e in request["events"]]
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


WRONG_VALUES: tuple[Any, ...] = (None, 12345, 1.5, True, "X" * 300, "", [], [{}], {}, {"x": 1})


def _paths(node: Any, prefix: tuple[Any, ...] = (), depth: int = 0) -> Iterator[tuple[Any, ...]]:
    if depth > 3:
        return
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*prefix, key)
            yield from _paths(value, (*prefix, key), depth + 1)
    elif isinstance(node, list) and node:
        yield (*prefix, 0)
        yield from _paths(node[0], (*prefix, 0), depth + 1)


def _mutants(ev: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every field (to depth 4) deleted, and set to each wrong value: a corpus of mostly broken events."""
    for path in _paths(ev):
        for value in (*WRONG_VALUES, "DELETE"):
            e = copy.deepcopy(ev)
            parent = e
            for key in path[:-1]:
                parent = parent[key]
            if value == "DELETE":
                if isinstance(parent, dict):
                    del parent[path[-1]]
                else:
                    parent.pop(path[-1])
            else:
                parent[path[-1]] = copy.deepcopy(value)
            yield e


def test_compiled_validator_agrees_with_jsonschema() -> None:
    validators = {v: jsonschema.Draft4Validator(reference_schema(v)) for v in VERSIONS}
    cases = _examples() + [("2.2.0", e) for e in _broken()]
    invalid = 0
    for version, ev in cases:
        ours = event_check(version)(ev)
        assert (ours is None) == validators[version].is_valid(ev), (ev, ours)
        invalid += ours is not None
    assert invalid == len(_broken()) - 1


def _agreement(step: int) -> tuple[int, int]:
    """Check every `step`-th mutant of the examples; returns (valid, invalid) counts."""
    validators = {v: jsonschema.Draft4Validator(reference_schema(v)) for v in VERSIONS}
    seeds = [*_examples(), ("2.2.0", event(1))]
    mutants = [(v, m) for v, e in seeds for m in _mutants(e)]
    valid = invalid = 0
    for version, ev in seeds + mutants[::step]:
        expected = validators[version].is_valid(ev)
        assert fast_event_check(version)(ev) is expected, (version, ev)
        assert (event_check(version)(ev) is None) is expected, (version, ev)
        valid += expected
        invalid += not expected
    return valid, invalid


def test_generated_check_agrees_with_jsonschema_and_closures_on_mutants() -> None:
    valid, invalid = _agreement(step=11)  # a deterministic sample: every 11th mutant (one value per field)
    assert valid > 15 and invalid > 300, (valid, invalid)  # both answers in quantity, not only the examples


@pytest.mark.slow
def test_generated_check_agrees_on_the_whole_mutation_corpus() -> None:
    valid, invalid = _agreement(step=1)
    assert valid > 100 and invalid > 4000, (valid, invalid)


def test_rejected_event_gets_the_precise_reason_from_the_full_validator() -> None:
    with pytest.raises(Invalid, match=r"DCSA 2.2.0 schema: emptyIndicatorCode: must be one of"):
        to_row(event(1, emptyIndicatorCode="FULL"), now=utcnow())
    bad_seal = event(2, seals=[{"sealNumber": "S" * 16, "sealType": "BLT"}])
    with pytest.raises(Invalid, match=r"seals\[0\]\.sealNumber: longer than 15"):
        to_row(bad_seal, now=utcnow())
