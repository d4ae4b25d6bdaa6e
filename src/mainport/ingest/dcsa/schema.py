"""A small compiler from the DCSA event JSON Schemas (OpenAPI 3.0 subset) to fast Python validators.

Why not jsonschema on the hot path: the resolved 2.2.0 event schema is ~40 nested allOf's per event, which
costs hundreds of microseconds per event in jsonschema. Here allOf's are flattened once into one object check
per level, and the top-level oneOf is dispatched on its discriminator (each branch requires `eventType` with a
disjoint enum, so exactly one branch can match - checked when compiling). These closures give the precise
reason for a rejected event; `codegen` turns the same flattened nodes into straight-line Python for the yes/no
check of the hot path. tests/ingest/test_dcsa_schema.py shows that both agree with jsonschema (Draft 4, the
base of OpenAPI 3.0) on the examples and broken events. Formats (date-time, uuid) are not checked here, as in
jsonschema by default; timestamps are checked by the business rules (mainport.ingest.events).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

Check = Callable[[Any], str | None]  # None when valid, else a message naming the path and the problem

VERSIONS = {"2.2.0": "tnt_v2_2_0.json", "3.0.0": "tnt_v3_0_0.json"}
_IGNORED = {
    "description",
    "example",
    "examples",
    "format",
    "nullable",
    "deprecated",
    "discriminator",
    "default",
    "readOnly",
    "writeOnly",
    "title",
}
_SUPPORTED = {
    "type",
    "enum",
    "maxLength",
    "maxItems",
    "required",
    "properties",
    "items",
    "allOf",
    "$ref",
    "oneOf",
}


@dataclass(frozen=True, slots=True)
class Spec:
    """One schema node, flattened: every constraint that applies to a value at this place."""

    types: list[str]
    enums: list[list[Any]]
    max_len: int | None
    max_items: int | None
    required: list[str]
    props: dict[str, list[dict[str, Any]]]
    items: list[dict[str, Any]]
    one_ofs: list[list[dict[str, Any]]]


class Compiler:
    def __init__(self, schemas: dict[str, Any]) -> None:
        self.schemas = schemas

    def _atoms(self, schema: dict[str, Any], out: list[dict[str, Any]]) -> None:
        """Resolve $ref and expand allOf into a flat list of schemas that must all hold."""
        unknown = set(schema) - _SUPPORTED - _IGNORED
        if unknown:
            raise ValueError(f"unsupported JSON Schema keywords {sorted(unknown)}")
        if "$ref" in schema:  # OpenAPI 3.0: siblings of $ref are ignored
            self._atoms(self.schemas[schema["$ref"].rsplit("/", 1)[-1]], out)
            return
        rest = {k: v for k, v in schema.items() if k != "allOf" and k not in _IGNORED}
        if rest:
            out.append(rest)
        for sub in schema.get("allOf", ()):
            self._atoms(sub, out)

    def spec(self, schemas: list[dict[str, Any]]) -> Spec:
        """What all of `schemas` require together, with allOf's flattened and $ref's resolved."""
        atoms: list[dict[str, Any]] = []
        for s in schemas:
            self._atoms(s, atoms)
        required: list[str] = []
        props: dict[str, list[dict[str, Any]]] = {}
        items: list[dict[str, Any]] = []
        for a in atoms:
            required += [r for r in a.get("required", ()) if r not in required]
            for name, sub in a.get("properties", {}).items():
                props.setdefault(name, []).append(sub)
            if "items" in a:
                items.append(a["items"])
        return Spec(
            types=[a["type"] for a in atoms if "type" in a],
            enums=[a["enum"] for a in atoms if "enum" in a],
            max_len=min((a["maxLength"] for a in atoms if "maxLength" in a), default=None),
            max_items=min((a["maxItems"] for a in atoms if "maxItems" in a), default=None),
            required=required,
            props=props,
            items=items,
            one_ofs=[a["oneOf"] for a in atoms if "oneOf" in a],
        )

    def compile(self, schemas: list[dict[str, Any]]) -> Check:
        s = self.spec(schemas)
        prop_checks = [(name, self.compile(subs)) for name, subs in s.props.items()]
        item_check = self.compile(s.items) if s.items else None
        one_of_checks = [self._one_of(branches) for branches in s.one_ofs]
        return _make_check(
            s.types, s.enums, s.max_len, s.max_items, s.required, prop_checks, item_check, one_of_checks
        )

    def _one_of(self, branches: list[dict[str, Any]]) -> Check:
        checks = [self.compile([b]) for b in branches]
        key, table = self.discriminator(branches)
        if key is None:

            def count(x: Any) -> str | None:
                ok = sum(1 for c in checks if c(x) is None)
                return None if ok == 1 else f"matches {ok} of the oneOf alternatives, need exactly 1"

            return count
        names = sorted(table)

        def dispatch(x: Any) -> str | None:
            value = x.get(key) if isinstance(x, dict) else None
            check = table.get(value) if isinstance(value, str) else None
            if check is None:
                if not isinstance(x, dict):
                    return "must be an object"
                return f"{key}: must be one of {names}, got {value!r}" if key in x else f"{key}: required"
            return check(x)

        table = {v: checks[i] for v, i in table.items()}
        return dispatch

    def discriminator(self, branches: list[dict[str, Any]]) -> tuple[str | None, dict[str, Any]]:
        """A property every branch requires with a string enum, the enums disjoint: then dispatch is exact."""
        flat = []
        for b in branches:
            atoms: list[dict[str, Any]] = []
            self._atoms(b, atoms)
            flat.append(atoms)
        candidates = None
        for atoms in flat:
            req = {r for a in atoms for r in a.get("required", ())}
            candidates = req if candidates is None else candidates & req
        for key in sorted(candidates or ()):
            table: dict[str, int] = {}
            for i, atoms in enumerate(flat):
                enums = [
                    a2["enum"]
                    for a in atoms
                    for name, a2 in a.get("properties", {}).items()
                    if name == key and "enum" in a2
                ]
                if not enums or not all(isinstance(v, str) for e in enums for v in e):
                    break
                allowed = set(enums[0]).intersection(*enums[1:])
                if any(v in table for v in allowed):
                    break
                table.update(dict.fromkeys(allowed, i))
            else:
                return key, table
        return None, {}


PYTYPES: dict[str, frozenset[type]] = {
    "string": frozenset({str}),
    "object": frozenset({dict}),
    "array": frozenset({list}),
    "integer": frozenset({int}),
    "number": frozenset({int, float}),
    "boolean": frozenset({bool}),
    "null": frozenset({type(None)}),
}


def _join(name: str, err: str) -> str:
    """Prefix a child's message with its property name: 'a.b: problem' or 'a: problem'."""
    head = err.split(" ", 1)[0]
    if head.endswith(":") or head.startswith("["):
        return f"{name}{'' if head.startswith('[') else '.'}{err}"
    return f"{name}: {err}"


def _make_check(
    types: list[str],
    enums: list[list[Any]],
    max_len: int | None,
    max_items: int | None,
    required: list[str],
    prop_checks: list[tuple[str, Check]],
    item_check: Check | None,
    one_of_checks: list[Check],
) -> Check:
    # Exact type sets: values come from JSON parsers, so there are no subclasses (and bool is not an integer).
    allowed: frozenset[type] | None = None
    for t in types:
        if t not in PYTYPES:
            raise ValueError(f"unsupported type {t!r}")
        allowed = PYTYPES[t] if allowed is None else allowed & PYTYPES[t]
    type_name = "/".join(dict.fromkeys(types))
    enum_sets = [frozenset((type(v), v) for v in e) for e in enums]
    props = dict(prop_checks)
    leaf = not (required or props or item_check or one_of_checks or max_items is not None)

    if leaf and not enum_sets:
        if allowed is None and max_len is None:
            return lambda x: None
        if max_len is None:

            def typed(x: Any) -> str | None:
                if type(x) not in allowed:  # type: ignore[operator]
                    return f"must be of type {type_name}, got {type(x).__name__}"
                return None

            return typed
        if allowed == PYTYPES["string"]:

            def short_string(x: Any) -> str | None:
                if type(x) is not str:
                    return f"must be of type string, got {type(x).__name__}"
                if len(x) > max_len:
                    return f"longer than {max_len} characters ({len(x)})"
                return None

            return short_string

    def check(x: Any) -> str | None:
        tx = type(x)
        if allowed is not None and tx not in allowed:
            return f"must be of type {type_name}, got {tx.__name__}"
        for e, raw in zip(enum_sets, enums, strict=True):
            try:
                ok = (tx, x) in e
            except TypeError:  # unhashable (object/array) values are never in a string enum
                ok = any(x == v and tx is type(v) for v in raw)
            if not ok:
                return f"must be one of {raw}, got {x!r:.80}"
        if tx is str:
            if max_len is not None and len(x) > max_len:
                return f"longer than {max_len} characters ({len(x)})"
        elif tx is dict:
            for r in required:
                if r not in x:
                    return f"{r}: required"
            if props:
                for k, v in x.items():
                    sub = props.get(k)
                    if sub is not None:
                        err = sub(v)
                        if err is not None:
                            return _join(k, err)
        elif tx is list:
            if max_items is not None and len(x) > max_items:
                return f"more than {max_items} items ({len(x)})"
            if item_check is not None:
                for i, item in enumerate(x):
                    err = item_check(item)
                    if err is not None:
                        return _join(f"[{i}]", err)
        for one_of in one_of_checks:
            err = one_of(x)
            if err is not None:
                return err
        return None

    return check


@cache
def document(version: str) -> dict[str, Any]:
    """The extracted schema document for a DCSA T&T version ('2.2.0' or '3.0.0')."""
    text = resources.files("mainport.ingest.dcsa").joinpath(VERSIONS[version]).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@cache
def event_check(version: str) -> Check:
    """The compiled validator of one event of that version."""
    doc = document(version)
    schemas = doc["components"]["schemas"]
    return Compiler(schemas).compile([schemas[doc["root"]]])


def reference_schema(version: str) -> dict[str, Any]:
    """The same event schema as one self-contained JSON Schema document, for jsonschema (tests, audits)."""
    doc = document(version)
    root = dict(doc["components"]["schemas"][doc["root"]])
    root["components"] = doc["components"]
    return root
