"""Generate specialised Python source for a yes/no DCSA event check, once per schema (like fastjsonschema).

The closures of `schema.Compiler` call one function per schema node and build messages; on the hot path most
events are valid, so here the same flattened nodes are turned into straight-line Python: one function per
object or array node, leaf checks (type, enum, maxLength) inlined as expressions. It answers only valid or not
valid; for a record it rejects, the closure validator gives the precise reason. Both follow the same `Spec`s,
and tests/ingest/test_dcsa_schema.py shows that they and jsonschema agree on the examples and broken events.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from mainport.ingest.dcsa.schema import PYTYPES, Compiler, Spec, document

Predicate = Callable[[Any], bool]
_TYPE_ORDER = ("string", "integer", "number", "boolean", "null", "object", "array")


class _Generator:
    def __init__(self, compiler: Compiler) -> None:
        self.compiler = compiler
        self.lines: list[str] = []
        self.consts: dict[str, Any] = {}
        self.count = 0

    def const(self, value: Any) -> str:
        name = f"C{len(self.consts)}"
        self.consts[name] = value
        return name

    def node(self, schemas: list[dict[str, Any]]) -> str:
        """The name of a generated function `(x) -> bool` for these schemas together."""
        spec = self.compiler.spec(schemas)
        self.count += 1
        name = f"f{self.count}"
        body: list[str] = []
        allowed = _allowed(spec)
        if allowed is not None:
            body.append(f"if not ({_type_test('x', allowed, self)}): return False")
        for enum in spec.enums:
            body.append(f"if not ({self._enum('x', enum, allowed)}): return False")
        may = allowed if allowed is not None else frozenset().union(*PYTYPES.values())
        if str in may and spec.max_len is not None:
            body.append(f"if type(x) is str and len(x) > {spec.max_len}: return False")
        if dict in may and (spec.required or spec.props):
            # When the type is known to be an object, the body need not test it again.
            indent = "" if may == PYTYPES["object"] else "    "
            if indent:
                body.append("if type(x) is dict:")
            if spec.required:
                tests = " and ".join(f"{r!r} in x" for r in spec.required)
                body.append(f"{indent}if not ({tests}): return False")
            for prop, subs in spec.props.items():
                # `in` then `[]` rather than .get(): no method call, and most schema properties are absent.
                body.append(f"{indent}if {prop!r} in x:")
                body.append(f"{indent}    v = x[{prop!r}]")
                body.append(f"{indent}    if not ({self.value('v', subs)}): return False")
        if list in may and (spec.items or spec.max_items is not None):
            indent = "" if may == PYTYPES["array"] else "    "
            if indent:
                body.append("if type(x) is list:")
            if spec.max_items is not None:
                body.append(f"{indent}if len(x) > {spec.max_items}: return False")
            if spec.items:
                item = self.node(spec.items)
                body.append(f"{indent}for v in x:")
                body.append(f"{indent}    if not {item}(v): return False")
        for branches in spec.one_ofs:
            body.append(f"if not ({self.one_of(branches)}(x)): return False")
        body.append("return True")
        self.lines.append(f"def {name}(x):\n" + "\n".join(f"    {line}" for line in body) + "\n")
        return name

    def value(self, var: str, schemas: list[dict[str, Any]]) -> str:
        """An expression that is True when `var` satisfies the schemas: inline for leaves, else a call."""
        spec = self.compiler.spec(schemas)
        if spec.required or spec.props or spec.items or spec.one_ofs or spec.max_items is not None:
            return f"{self.node(schemas)}({var})"
        allowed = _allowed(spec)
        tests = [_type_test(var, allowed, self)] if allowed is not None else []
        tests += [self._enum(var, enum, allowed) for enum in spec.enums]
        if spec.max_len is not None:
            if allowed == PYTYPES["string"]:
                tests.append(f"len({var}) <= {spec.max_len}")
            else:
                tests.append(f"(type({var}) is not str or len({var}) <= {spec.max_len})")
        return " and ".join(f"({t})" for t in tests) or "True"

    def _enum(self, var: str, enum: list[Any], allowed: frozenset[type] | None) -> str:
        if all(type(v) is str for v in enum):
            if allowed == PYTYPES["string"]:  # the type test before it made the value hashable
                return f"{var} in {self.const(frozenset(enum))}"
            return f"(type({var}) is str and {var} in {self.const(frozenset(enum))})"
        # Mixed enums: compare value and exact type, as the closure validator does.
        return f"ENUM_OK({var}, {self.const(list(enum))})"

    def one_of(self, branches: list[dict[str, Any]]) -> str:
        names = [self.node([b]) for b in branches]
        key, table = self.compiler.discriminator(branches)
        self.count += 1
        name = f"one_of{self.count}"
        if key is None:
            listed = ", ".join(names)
            self.lines.append(f"def {name}(x):\n    return sum(1 for f in ({listed},) if f(x)) == 1\n")
            return name
        dispatch = self.const({value: i for value, i in table.items()})
        self.lines.append(
            f"def {name}(x):\n"
            f"    if type(x) is not dict: return False\n"
            f"    value = x.get({key!r})\n"
            f"    if type(value) is not str: return False\n"
            f"    i = {dispatch}.get(value)\n"
            f"    if i is None: return False\n"
            f"    return ({', '.join(names)},)[i](x)\n"
        )
        return name


def _allowed(spec: Spec) -> frozenset[type] | None:
    allowed: frozenset[type] | None = None
    for t in spec.types:
        if t not in PYTYPES:
            raise ValueError(f"unsupported type {t!r}")
        allowed = PYTYPES[t] if allowed is None else allowed & PYTYPES[t]
    return allowed


def _type_test(var: str, allowed: frozenset[type], gen: _Generator) -> str:
    if len(allowed) == 1:
        return f"type({var}) is {next(iter(allowed)).__name__}"
    if not allowed:
        return "False"
    return f"type({var}) in {gen.const(allowed)}"


def _enum_ok(x: Any, values: list[Any]) -> bool:
    return any(x == v and type(x) is type(v) for v in values)


def generate(schema: dict[str, Any], schemas: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Python source defining `check(x) -> bool`, and the constants it refers to."""
    gen = _Generator(Compiler(schemas))
    root = gen.node([schema])
    source = "\n".join(gen.lines) + f"\ncheck = {root}\n"
    return source, gen.consts


@cache
def fast_event_check(version: str) -> Predicate:
    """A yes/no check of one event of that DCSA version ('2.2.0' or '3.0.0'), compiled once per process."""
    doc = document(version)
    schemas = doc["components"]["schemas"]
    source, consts = generate(schemas[doc["root"]], schemas)
    namespace: dict[str, Any] = {
        "MISSING": object(),
        "ENUM_OK": _enum_ok,
        "dict": dict,
        "list": list,
        **consts,
    }
    namespace.update({"str": str, "int": int, "float": float, "bool": bool, "NoneType": type(None)})
    exec(compile(source, f"<dcsa {version} event check>", "exec"), namespace)  # our own generated source
    check: Predicate = namespace["check"]
    return check
