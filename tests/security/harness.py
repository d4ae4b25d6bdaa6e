"""The attack suite's machinery: the app's route table, example requests for each route, the oracle that
judges every answer, and the tally of attempts and refusals by category."""

from __future__ import annotations

import os
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx
from fastapi import FastAPI
from pydantic import BaseModel, TypeAdapter

from mainport.api.middleware import RouteInfo, iter_routes
from mainport.identity.models import Role
from tests.security.world import Actor, World

# Routes anyone may call without logging in.
PUBLIC = {
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/login/second-factor"),
    ("POST", "/login/second-factor"),
    ("POST", "/logout"),
    ("GET", "/api/v1/openapi.json"),
    ("GET", "/api/v1/docs"),
    ("GET", "/api/v1/docs/assets/{name}"),
}
# What a route needs, by path (first match): (pattern, permission for reads, permission for writes).
# Anything not listed needs a logged-in user only (need-to-know inside is judged by the markers).
NEEDS: list[tuple[str, str | None, str | None]] = [
    (r"^/(api/v1/)?(alerts|cases)\b", "intel:read", "intel:write"),
    (r"^/(api/v1/)?targeting\b", "intel:read", "intel:write"),
    (r"^/(api/v1/)?scans\b", "imaging:read", "imaging:write"),
    # The insider ranking is for police and security officers, a terminal's of its own staff only (issue 18;
    # scoped by policy.people): the screening register's right, not customs intelligence.
    (r"^/(api/v1/)?insider/ranking\b", "screening:read", "screening:write"),
    (r"^/api/v1/insider\b", "insider:read", "insider:write"),
    (r"^/api/v1/audit\b", "audit:read", "audit:read"),
    (r"^/(api/v1/)?operations\b", "operations:read", "operations:run"),
    (r"^/(api/v1/users|admin/users)\b", "users:admin", "users:admin"),
    (r"^/api/v1/declarations$", "declarations:read", "declarations:write"),
    (r"^/(api/v1/)?declarations\b", "declarations:read", "declarations:write"),
    (r"^/api/v1/events$", None, "events:write"),
    (r"^/(api/v1/)?quarantine\b", "quarantine:read", "quarantine:write"),
    (r"^/api/v1/monitoring/(seizures|export/seizures)", "monitoring:detail", "monitoring:write"),
    (r"^/(api/v1/)?monitoring\b", "monitoring:read", "monitoring:write"),
    (r"^/api/v1/custody/plans$", None, "intel:write"),
    (r"^/api/v1/custody/(seals|telemetry)\b", "intel:write", "intel:write"),
    (r"^/(api/v1/)?custody\b", "custody:read", "custody:write"),
    (r"^/api/v1/release\b", "custody:read", "custody:write"),
    (r"^/api/v1/gate\b", "custody:write", "custody:write"),
]
# Routes every user may write to (their own account).
SELF_SERVICE = re.compile(r"^/(account|logout|api/v1/me/password|api/v1/tokens)\b")
SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


def needed(method: str, path: str) -> str | None:
    for pattern, read, write in NEEDS:
        if re.search(pattern, path):
            return read if method in SAFE else write
    return None


# -- the route table ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    info: RouteInfo

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/")

    @property
    def params(self) -> list[str]:
        return re.findall(r"\{(\w+)(?::\w+)?\}", self.path)

    def dependant(self) -> Any:
        route = self.info.route
        return getattr(getattr(route, "original_route", route), "dependant", None)


def routes(app: FastAPI) -> list[Route]:
    """Every route and method of the app (new routes are attacked without anyone listing them)."""
    out = []
    for info in iter_routes(app):
        if info.path.startswith("/static") or not info.methods:
            continue
        for method in sorted(info.methods - {"HEAD"}):
            out.append(Route(method, info.path, info))
    return out


def _fields(dependant: Any) -> tuple[list[Any], list[Any]]:
    """(query fields, body fields) of a route, sub-dependencies included."""
    query, body, stack = [], [], [dependant]
    while stack:
        d = stack.pop()
        if d is None:
            continue
        query.extend(d.query_params)
        body.extend(d.body_params)
        stack.extend(d.dependencies)
    return query, body


def query_fields(route: Route) -> list[tuple[str, Any]]:
    q, _b = _fields(route.dependant())
    return [(f.alias or f.name, f.field_info.annotation) for f in q]


# -- example requests --------------------------------------------------------------------------------------


def _instance(schema: dict[str, Any], defs: dict[str, Any], depth: int = 0) -> Any:
    """A small valid instance of a JSON schema (what pydantic models describe)."""
    if "$ref" in schema:
        return _instance(defs[schema["$ref"].split("/")[-1]], defs, depth + 1)
    if "default" in schema and schema["default"] is not None:
        return schema["default"]
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [o for o in schema[key] if o.get("type") != "null"] or schema[key]
            return _instance(options[0], defs, depth + 1)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        required = schema.get("required", list(props))
        return {k: _instance(props[k], defs, depth + 1) for k in required if k in props and depth < 6}
    if kind == "array":
        n = schema.get("minItems", 0)
        return [_instance(schema.get("items", {}), defs, depth + 1) for _ in range(n)]
    if kind == "integer":
        return max(int(schema.get("minimum", 1)), int(schema.get("exclusiveMinimum", 0)) + 1)
    if kind == "number":
        return float(max(schema.get("minimum", 1.0), schema.get("exclusiveMinimum", 0.0) + 1.0))
    if kind == "boolean":
        return False
    if kind == "string":
        fmt = schema.get("format")
        if fmt == "date-time":
            return "2026-09-02T10:00:00Z"
        if fmt == "date":
            return "2026-09-02"
        return "x" * max(1, int(schema.get("minLength", 1)))
    return None


def _value(annotation: Any) -> Any:
    try:
        schema = TypeAdapter(annotation).json_schema()
    except Exception:  # UploadFile and friends have no JSON schema
        return None
    return _instance(schema, schema.get("$defs", {}))


def example_request(route: Route) -> dict[str, Any]:
    """Keyword arguments for httpx: a plausible, valid body for the route (JSON, form or file)."""
    _q, body = _fields(route.dependant())
    if not body:
        if route.path in ("/api/v1/events", "/api/v1/declarations"):
            return {"json": []}
        return {}
    files = {f.alias or f.name for f in body if "UploadFile" in str(f.field_info.annotation)}
    if files:
        return {"files": {name: ("scan.npy", b"\x93NUMPY" + b"\0" * 64) for name in files}}
    is_form = any(type(f.field_info).__name__ in ("Form", "File") for f in body)
    if is_form:
        data = {}
        for f in body:
            v = _value(f.field_info.annotation)
            if v is not None:
                data[f.alias or f.name] = str(v).lower() if isinstance(v, bool) else str(v)
        return {"data": data}
    if len(body) == 1:
        annotation = body[0].field_info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return {"json": _value(annotation)}
    return {"json": {f.alias or f.name: _value(f.field_info.annotation) for f in body}}


def int_body_fields(route: Route) -> list[str]:
    """Top-level integer fields of a route's JSON body (for huge-integer attacks)."""
    _q, body = _fields(route.dependant())
    out = []
    for f in body:
        annotation = f.field_info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            for name, info in annotation.model_fields.items():
                if info.annotation is int or int in getattr(info.annotation, "__args__", ()):
                    out.append(name)
        elif annotation is int:
            out.append(f.alias or f.name)
    return out


def fill(route: Route, values: dict[str, Any]) -> str:
    path = route.path
    for name in route.params:
        path = re.sub(r"\{" + name + r"(?::\w+)?\}", str(values.get(name, "1")), path)
    return path


# -- the oracle and the tally ------------------------------------------------------------------------------


@dataclass
class Tally:
    world: World
    attempts: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    successes: list[str] = field(default_factory=list)
    statuses: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    started: float = field(default_factory=time.perf_counter)
    seconds: Counter[str] = field(default_factory=Counter)

    def timed(self, name: str, fn: Any, *args: Any) -> None:
        wanted = os.environ.get("MAINPORT_ATTACKS")
        if wanted and name not in wanted.split(","):
            return
        t0 = time.perf_counter()
        before = sum(self.attempts.values())
        fn(*args)
        self.seconds[name] += time.perf_counter() - t0
        if os.environ.get("MAINPORT_ATTACKS_VERBOSE"):
            n = sum(self.attempts.values()) - before
            print(f"{name}: {n} attempts in {self.seconds[name]:.1f} s", file=sys.stderr, flush=True)

    def judge(
        self,
        category: str,
        who: Actor | None,
        r: httpx.Response,
        *,
        refuse: bool,
        sent: str = "",
        note: str = "",
    ) -> bool:
        """One attempt: refused when `refuse` (4xx, or a redirect to the log-in page); never a 5xx; never a
        marker the actor may not see in a successful answer. True when the attack was refused."""
        self.attempts[category] += 1
        self.statuses[category][r.status_code] += 1
        where = f"{r.request.method} {r.request.url.path}"
        label = f"[{category}] {who.name if who else 'anonymous'} {where} {note}".strip()
        ok = True
        if r.status_code >= 500:
            self.successes.append(f"{label}: answered {r.status_code} {r.text[:160]}")
            ok = False
        elif refuse and not _refused(r):
            self.successes.append(f"{label}: answered {r.status_code} instead of refusing")
            ok = False
        elif r.status_code < 400:
            leak = self.leaks(who, r, sent + str(r.request.url))
            if leak:
                self.successes.append(f"{label}: showed {leak}")
                ok = False
        if ok:
            self.refused[category] += 1
        return ok

    def leaks(self, who: Actor | None, r: httpx.Response, sent: str) -> list[str]:
        allowed = self.world.allowed_tags(who) if who else set()
        text = r.text if r.headers.get("content-type", "").startswith(("text/", "application/json")) else ""
        return [
            f"{m} ({tag})"
            for m, tag in self.world.markers.items()
            if tag not in allowed and m in text and m not in sent
        ]

    def service(
        self, category: str, who: Actor, session: Any, call: Any, *, refuse: bool, what: str, shaped: str = ""
    ) -> Any:
        """One attempt straight at the service layer (where authorisation lives), in a savepoint that is
        rolled back: refused means a MainportError; a crash or a shown marker the actor may not see is a
        success of the attack. `shaped`: a tag prefix the API layer redacts from what the service returns
        (why a box was selected: the handler shows it to intelligence users only, checked over HTTP)."""
        from mainport.errors import MainportError

        self.attempts[category] += 1
        label = f"[{category}] {who.name} {what}"
        nested = session.begin_nested()
        try:
            result = call()
            text = dump(result)
        except MainportError:
            nested.rollback()
            self.refused[category] += 1
            return None
        except Exception as exc:
            nested.rollback()
            self.successes.append(f"{label}: crashed {type(exc).__name__}: {exc}"[:300])
            return None
        nested.rollback()
        allowed = self.world.allowed_tags(who)
        leak = [
            f"{m} ({t})"
            for m, t in self.world.markers.items()
            if t not in allowed and m in text and not (shaped and t.startswith(shaped))
        ]
        if refuse:
            self.successes.append(f"{label}: was allowed")
        elif leak:
            self.successes.append(f"{label}: showed {leak}")
        else:
            self.refused[category] += 1
        return result

    def check(self, category: str, ok: bool, what: str) -> None:
        """An attempt judged by the test itself (a stored row, a rendered page)."""
        self.attempts[category] += 1
        if ok:
            self.refused[category] += 1
        else:
            self.successes.append(f"[{category}] {what}")

    def report(self) -> str:
        lines = [f"{'category':<28}{'attempts':>10}{'refused':>10}{'succeeded':>11}"]
        for cat in sorted(self.attempts):
            n, k = self.attempts[cat], self.refused[cat]
            top = ", ".join(f"{code}: {m}" for code, m in self.statuses[cat].most_common(4))
            lines.append(f"{cat:<28}{n:>10,}{k:>10,}{n - k:>11,}   {top}")
        total, refused = sum(self.attempts.values()), sum(self.refused.values())
        lines.append(f"{'total':<28}{total:>10,}{refused:>10,}{total - refused:>11,}")
        lines.append(
            f"in {time.perf_counter() - self.started:.1f} s: "
            + ", ".join(f"{k} {v:.1f} s" for k, v in self.seconds.items())
        )
        return "\n".join(lines)


def _refused(r: httpx.Response) -> bool:
    if 400 <= r.status_code < 500:
        return True
    return r.status_code in (302, 303, 307) and r.headers.get("location", "").startswith("/login")


ROLE_ORDER = {Role.viewer: 0, Role.officer: 1, Role.analyst: 2, Role.admin: 3}


def higher_role_routes(all_routes: Iterable[Route]) -> list[Route]:
    return [r for r in all_routes if (r.method, r.path) not in PUBLIC]


TODAY = date(2026, 9, 20)


def dump(obj: Any, depth: int = 0) -> str:
    """Text of what a service returned (ORM rows by their columns), for the marker check."""
    if depth > 3 or obj is None:
        return ""
    if isinstance(obj, str | int | float | bool):
        return str(obj)
    if isinstance(obj, dict):
        return " ".join(f"{k}={dump(v, depth + 1)}" for k, v in obj.items())
    if isinstance(obj, list | tuple | set):
        return " ".join(dump(v, depth + 1) for v in obj)
    mapper = getattr(obj, "__mapper__", None)
    if mapper is not None:
        return " ".join(f"{c.key}={getattr(obj, c.key)!s}" for c in mapper.column_attrs)
    if hasattr(obj, "__dataclass_fields__"):
        return " ".join(dump(getattr(obj, f), depth + 1) for f in obj.__dataclass_fields__)
    return str(obj)
