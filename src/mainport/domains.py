"""The domains of mainport. Each may have `models`, `api` (with `router`) and `cli` (with `app`) modules."""

from __future__ import annotations

import importlib
import os
from types import ModuleType

DOMAINS: tuple[str, ...] = (
    "identity",
    "audit",
    "reference",
    "shipments",
    "ingest",
    "tnt",
    "cases",
    "custody",
    "imaging",
    "targeting",
    "origin",
    "federation",
    "monitoring",
    "insider",
    "screening",
    "sharing",
    "operations",
    "vessels",
    "barriers",
    "world",
)

# Command names on the `mainport` CLI where they differ from the domain's name.
CLI_NAMES = {
    "imaging": "scan",
    "targeting": "target",
    "monitoring": "monitor",
    "identity": "user",
    "operations": "jobs",
}


def domain_modules(kind: str, *, all_domains: bool = False) -> list[tuple[str, ModuleType]]:
    """Import `mainport.<domain>.<kind>` for every enabled domain that has one."""
    found = []
    # MAINPORT_DOMAINS=identity,audit,... serves routes and commands of a subset of domains only.
    wanted = os.environ.get("MAINPORT_DOMAINS")
    enabled = [d for d in DOMAINS if d in wanted.split(",")] if wanted and not all_domains else DOMAINS
    for domain in enabled:
        name = f"mainport.{domain}.{kind}"
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name in (name, f"mainport.{domain}"):
                continue
            raise
        found.append((domain, module))
    return found


def load_models() -> None:
    """Import every domain's models so that `Base.metadata` is complete (the schema is always whole)."""
    domain_modules("models", all_domains=True)
