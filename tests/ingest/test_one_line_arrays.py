"""A JSON array written on ONE line (what `orjson.dumps(list)` and the world's events files look like) is read
element by element in linear time, with the same records as the same array one element a line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from mainport.ingest import readers
from mainport.ingest.records import RawRecord
from tests.ingest.helpers import event


def _read(path: Path) -> list[RawRecord]:
    return list(readers.read_events(path))


def _summary(recs: list[RawRecord]) -> list[tuple[Any, str | None]]:
    return [(r.parsed, r.error and r.error.split(" at character")[0]) for r in recs]


@pytest.mark.parametrize("truncated", [False, True])
def test_one_line_array_matches_one_element_a_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, truncated: bool
) -> None:
    events: list[Any] = [event(i, goods="x" * 200) for i in range(6000)]  # ~6 MiB: many read chunks
    events[2500] = [1, 2]  # not an object
    one_line = orjson.dumps(events)
    by_line = b"[\n" + b",\n".join(orjson.dumps(e) for e in events) + b"\n]\n"
    if truncated:
        one_line, by_line = one_line[:-300], by_line[:-302]
    (tmp_path / "one.json").write_bytes(one_line)
    (tmp_path / "lines.json").write_bytes(by_line)
    calls = {"n": 0}
    real = orjson.loads

    def counting(data: Any) -> Any:
        calls["n"] += 1
        return real(data)

    monkeypatch.setattr(readers.orjson, "loads", counting)
    one = _read(tmp_path / "one.json")
    assert calls["n"] <= 2  # never the rest of the file again for each element
    lines = _read(tmp_path / "lines.json")
    assert _summary(one) == _summary(lines)
    assert len(one) == 6000  # truncated: the last element is the error record
    assert one[2500].error == "not a JSON object (got list)"
    assert one[0].parsed == events[0] and one[0].locator == "record 1 at character 1"
    if truncated:
        assert one[-1].error is not None and one[-1].error.startswith("truncated JSON")
    else:
        assert one[-1].parsed == events[-1]
    assert json.loads(one[1].raw_text) == events[1]  # the element's own text, not the rest of the line
