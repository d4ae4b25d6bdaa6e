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
    "cases",
    "custody",
    "imaging",
    "targeting",
    "monitoring",
    "insider",
    "sharing",
    "world",
)

# Command names on the `mainport` CLI where they differ from the domain's name.
CLI_NAMES = {"imaging": "scan", "targeting": "target", "monitoring": "monitor", "identity": "user"}


def domain_modules(kind: str) -> list[tuple[str, ModuleType]]:
    """Import `mainport.<domain>.<kind>` for every domain that has one."""
    found = []
    # MAINPORT_DOMAINS=identity,audit,... runs the platform with a subset of domains.
    wanted = os.environ.get("MAINPORT_DOMAINS")
    enabled = [d for d in DOMAINS if d in wanted.split(",")] if wanted else DOMAINS
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
    """Import every domain's models so that `Base.metadata` is complete."""
    domain_modules("models")
