"""A bounded property-based fuzz of every operation in the OpenAPI document (schemathesis + Hypothesis).

Each operation gets ``examples`` valid and ``examples`` invalid requests, sent by an admin of the customs
organisation (who may call everything) against an app on a database holding a small world. A 5xx answer is
a failure; so is an answer that is not the API's error shape for a 4xx. Used by tests/api/test_fuzz.py
(small budget, every run) and benchmarks/api_fuzz.py (larger budget, figures)."""

from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from mainport.config import Settings
from mainport.identity import service as identity
from mainport.identity.models import OrgKind, Role
from mainport.identity.principal import system_principal


@dataclass
class FuzzReport:
    cases: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    server_errors: list[tuple[str, int, str, str]] = field(default_factory=list)  # op, status, request, body
    unsatisfiable: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.cases.values())

    def lines(self) -> list[str]:
        by_class = Counter(f"{s // 100}xx" for s in self.statuses.elements())
        out = [
            f"{len(self.cases)} operations, {self.total} cases: "
            + ", ".join(f"{k} {v}" for k, v in sorted(by_class.items())),
            f"5xx: {len(self.server_errors)}",
        ]
        seen = set()
        for op, status, request, body in self.server_errors:
            if op not in seen:
                seen.add(op)
                out.append(f"  {status} {op}: {request[:300]} -> {body[:300]}")
        return out


def seed(factory: sessionmaker[Session], data_dir: Path) -> str:
    """An admin with a bearer token and a small world behind it; returns the token."""
    from mainport.world import WorldConfig, generate_world, load_world

    with factory.begin() as session:
        org = identity.get_or_create_organisation(
            session=session, code="DOUANE-FUZZ", name="Douane", kind=OrgKind.customs, node_code="rotterdam"
        )
        user = identity.create_user(
            session=session,
            actor=system_principal(),
            username="fuzz_admin",
            password="fuzzing is a long password",
            role=Role.admin,
            organisation=org,
        )
        principal = identity.principal_for(user)
        _tok, plain = identity.create_token(session=session, actor=principal, user=user, name="fuzz")
    world = data_dir / "world"
    generate_world(WorldConfig(days=2, seed=3, scale=0.005, smuggling_boost=60.0), world)
    load_world(world, factory, system_principal())
    return plain


def fuzz(factory: sessionmaker[Session], settings: Settings, token: str, *, examples: int) -> FuzzReport:
    import schemathesis

    from mainport.api.app import create_app

    app = create_app(settings, session_factory=factory)
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    report = FuzzReport()
    headers = {"Authorization": f"Bearer {token}"}
    for result in schema.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            _run_operation(operation, mode, label, headers, report, examples)
    return report


def _run_operation(
    operation: Any, mode: Any, label: str, headers: dict[str, str], report: FuzzReport, examples: int
) -> None:
    from hypothesis import HealthCheck, Phase, given
    from hypothesis import settings as hsettings
    from hypothesis.errors import Unsatisfiable

    @hsettings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        try:
            response = case.call(headers=headers)
            status, body = response.status_code, response.text
        except Exception as exc:  # the app raised instead of answering: a 500 in production
            status, body = 500, f"{type(exc).__name__}: {exc}"
        report.cases[label] += 1
        report.statuses[status] += 1
        if status >= 500:
            report.server_errors.append((label, status, _describe(case), body))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Hypothesis' notes on generated data are not our findings
        try:
            run()
        except Unsatisfiable:  # no request of this mode can be built (e.g. no parameters to break)
            report.unsatisfiable.append(f"{label} ({mode.value})")


def _describe(case: Any) -> str:
    parts = [case.formatted_path]
    if case.query:
        parts.append(f"query={case.query!r}")
    if case.body is not None and not callable(case.body):
        parts.append(f"body={str(case.body)[:200]!r}")
    return " ".join(parts)
