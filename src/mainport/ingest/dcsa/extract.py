"""Copy the event schemas out of the DCSA OpenAPI files in ../shared into this package (a dev tool).

Run: `python -m mainport.ingest.dcsa.extract` from the project root. The product only reads the JSON files.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ROOTS = {
    "tnt_v2_2_0.json": ("TNT_v2.2.0-resolved.yaml", "inline_response_200"),
    "tnt_v3_0_0.json": ("TNT_v3.0.0.yaml", "Event"),
}
DROP = {"description", "example", "examples"}


def _shared_specs() -> Path:
    for parent in HERE.parents:
        candidate = parent.parent / "shared" / "specs" / "dcsa"
        if (parent / "pyproject.toml").exists() and candidate.is_dir():
            return candidate
    sys.exit("shared/specs/dcsa not found next to the project root (expected ../shared from the repo)")


def _refs(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            found.add(ref.rsplit("/", 1)[-1])
        for key, value in node.items():
            if key not in DROP:
                _refs(value, found)
    elif isinstance(node, list):
        for item in node:
            _refs(item, found)


def _strip(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip(v) for k, v in node.items() if k not in DROP}
    if isinstance(node, list):
        return [_strip(i) for i in node]
    return node


def extract(spec: Path, root: str) -> dict[str, Any]:
    """The root schema and every schema it reaches, as {"root": name, "components": {"schemas": ...}}."""
    schemas = yaml.safe_load(spec.read_text(encoding="utf-8"))["components"]["schemas"]
    keep: set[str] = set()
    todo = [root]
    while todo:
        name = todo.pop()
        if name in keep:
            continue
        keep.add(name)
        found: set[str] = set()
        _refs(schemas[name], found)
        todo.extend(found - keep)
    return {"root": root, "components": {"schemas": {k: _strip(schemas[k]) for k in sorted(keep)}}}


def main() -> None:
    specs = _shared_specs()
    for out, (spec, root) in ROOTS.items():
        data = extract(specs / spec, root)
        (HERE / out).write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"{out}: {len(data['components']['schemas'])} schemas from {spec}")


if __name__ == "__main__":
    main()
