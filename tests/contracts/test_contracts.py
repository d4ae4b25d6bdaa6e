"""The architecture's contracts hold for the package, and each one catches a deliberate violation.

The exceptions below are the documented ones of docs/architecture.md ("Documented exceptions"); anything
else the checker finds fails the build with the file, the line and the rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.contracts.checker import CONTRACTS, Exception_, check

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "mainport"

HANDLER_DEBT = (
    "debt: the page or command composes another domain's read or query; move it into a flow or the domain's "
    "own service"
)
SIGNATURE_DEBT = (
    "debt: make session and the principal keyword-only, or move the unchecked loader to queries.py"
)
SIZE_DEBT = "debt: split along its seams"

EXCEPTIONS: tuple[Exception_, ...] = (
    Exception_(
        "commits",
        "mainport/custody/gate.py",
        "commits",
        "the gate answers a truck within 50 ms: it commits its decision before answering, so no answer is "
        "given that a lost transaction could take back (docs/custody.md)",
    ),
    Exception_(
        "signatures",
        "mainport/identity/service.py",
        "authenticate_",
        "authentication comes before there is a principal: it is what makes one",
    ),
    Exception_(
        "signatures",
        "mainport/identity/service.py",
        "get_or_create_organisation()",
        "bootstrap and seeding: runs before any user exists",
    ),
    Exception_(
        "signatures",
        "mainport/audit/service.py",
        "entry_hash()",
        "a pure function of an entry and its actor (the hash chain), no session",
    ),
    Exception_(
        "signatures",
        "mainport/audit/service.py",
        "verify()",
        "the integrity check the operator, the nightly job and a restore run apart from any user "
        "(verify_for is the checked one)",
    ),
    Exception_(
        "signatures",
        "mainport/federation/service.py",
        "accept()",
        "a partner's message is authenticated by its signature, not by a user: accept decides who sent it",
    ),
    Exception_(
        "signatures",
        "mainport/identity/service.py",
        "get_user()",
        "the session and token layer loads the user that becomes the principal",
    ),
    Exception_(
        "signatures",
        "mainport/identity/service.py",
        "get_user_by_name()",
        "identity.acting loads the user a CLI command acts as, before there is a principal",
    ),
    Exception_(
        "signatures",
        "mainport/monitoring/service.py",
        "ensure_public_series()",
        "seeding at first start, before any user exists",
    ),
    Exception_(
        "signatures",
        "mainport/sharing/service.py",
        "seed_defaults()",
        "seeding at first start, before any user exists",
    ),
    Exception_(
        "signatures",
        "mainport/tnt/service.py",
        "receive()",
        "a publisher's callback is authenticated by its signature, not by a user",
    ),
)

# Known debt, listed so that nothing new slips in: each entry goes when its violation does
# (test_every_exception_is_still_needed), and docs/architecture.md says what is left.
DEBT: tuple[Exception_, ...] = (
    Exception_(
        "handlers",
        "mainport/cases/pages.py",
        "mainport.custody.service",
        HANDLER_DEBT,
    ),
    Exception_(
        "handlers",
        "mainport/cases/pages.py",
        "mainport.shipments.service",
        HANDLER_DEBT,
    ),
    Exception_(
        "handlers",
        "mainport/custody/pages.py",
        "mainport.identity.models",
        HANDLER_DEBT,
    ),
    Exception_(
        "handlers",
        "mainport/monitoring/pages.py",
        "mainport.custody.guarded",
        HANDLER_DEBT,
    ),
    Exception_(
        "handlers",
        "mainport/monitoring/pages.py",
        "mainport.sharing.figures",
        HANDLER_DEBT,
    ),
    Exception_(
        "handlers",
        "mainport/screening/api.py",
        "mainport.insider.ranking",
        HANDLER_DEBT,
    ),
    Exception_(
        "handlers",
        "mainport/screening/cli.py",
        "mainport.ingest.service",
        HANDLER_DEBT,
    ),
    Exception_(
        "handlers",
        "mainport/screening/cli.py",
        "mainport.ingest.readers",
        HANDLER_DEBT,
    ),
    Exception_(
        "handlers",
        "mainport/screening/cli.py",
        "mainport.insider.ranking",
        HANDLER_DEBT,
    ),
    Exception_(
        "handlers",
        "mainport/screening/pages.py",
        "mainport.insider.ranking",
        HANDLER_DEBT,
    ),
    Exception_(
        "handlers",
        "mainport/sharing/api.py",
        "mainport.identity.policy",
        HANDLER_DEBT,
    ),
    Exception_(
        "handlers",
        "mainport/sharing/pages.py",
        "mainport.identity.models",
        HANDLER_DEBT,
    ),
    Exception_(
        "handlers",
        "mainport/shipments/api.py",
        "mainport.identity.policy",
        HANDLER_DEBT,
    ),
    Exception_(
        "handlers",
        "mainport/shipments/pages.py",
        "mainport.cases.search",
        HANDLER_DEBT,
    ),
    Exception_(
        "handlers",
        "mainport/shipments/pages.py",
        "mainport.custody.service",
        HANDLER_DEBT,
    ),
    Exception_(
        "writes",
        "mainport/imaging/service.py",
        "Scan",
        "debt: the scan record is shipments' table, imaging its only writer (the model belongs there)",
    ),
    Exception_(
        "writes",
        "mainport/ingest/declaration_store.py",
        "Declaration",
        "debt: ingest stores declarations and parties itself (the streaming fast path); moving the store "
        "into shipments.feeds is the remaining step of issue 22",
    ),
    Exception_("writes", "mainport/ingest/declaration_store.py", "Party", "debt: as Declaration"),
    Exception_(
        "signatures",
        "mainport/custody/service.py",
        "check_facility()",
        "debt: make session and the principal keyword-only, or move the unchecked loader to queries.py",
    ),
    Exception_(
        "signatures",
        "mainport/custody/service.py",
        "active_plan()",
        "debt: make session and the principal keyword-only, or move the unchecked loader to queries.py",
    ),
    Exception_(
        "signatures",
        "mainport/custody/service.py",
        "under_hold()",
        "debt: make session and the principal keyword-only, or move the unchecked loader to queries.py",
    ),
    Exception_(
        "signatures",
        "mainport/federation/service.py",
        "partner()",
        "debt: make session and the principal keyword-only, or move the unchecked loader to queries.py",
    ),
    Exception_(
        "signatures",
        "mainport/federation/service.py",
        "allowed()",
        "debt: make session and the principal keyword-only, or move the unchecked loader to queries.py",
    ),
    Exception_(
        "signatures",
        "mainport/identity/service.py",
        "credentials_changed()",
        "debt: make session and the principal keyword-only, or move the unchecked loader to queries.py",
    ),
    Exception_(
        "signatures",
        "mainport/identity/service.py",
        "end_sessions()",
        "debt: make session and the principal keyword-only, or move the unchecked loader to queries.py",
    ),
    Exception_(
        "signatures",
        "mainport/origin/service.py",
        "declaration_of()",
        "debt: make session and the principal keyword-only, or move the unchecked loader to queries.py",
    ),
    Exception_(
        "signatures",
        "mainport/origin/service.py",
        "target_score()",
        "debt: make session and the principal keyword-only, or move the unchecked loader to queries.py",
    ),
    Exception_(
        "signatures",
        "mainport/origin/service.py",
        "load_by()",
        "debt: make session and the principal keyword-only, or move the unchecked loader to queries.py",
    ),
    Exception_(
        "signatures",
        "mainport/origin/service.py",
        "mark_hold()",
        "debt: make session and the principal keyword-only, or move the unchecked loader to queries.py",
    ),
    Exception_(
        "signatures",
        "mainport/screening/service.py",
        "require()",
        "debt: make session and the principal keyword-only, or move the unchecked loader to queries.py",
    ),
    Exception_(
        "signatures",
        "mainport/screening/service.py",
        "verdict()",
        "debt: make session and the principal keyword-only, or move the unchecked loader to queries.py",
    ),
    Exception_(
        "signatures",
        "mainport/sharing/service.py",
        "sees_register()",
        "debt: make session and the principal keyword-only, or move the unchecked loader to queries.py",
    ),
    Exception_(
        "signatures",
        "mainport/sharing/service.py",
        "owns()",
        "debt: make session and the principal keyword-only, or move the unchecked loader to queries.py",
    ),
    Exception_(
        "signatures",
        "mainport/sharing/service.py",
        "check_owner()",
        "debt: make session and the principal keyword-only, or move the unchecked loader to queries.py",
    ),
    Exception_(
        "signatures",
        "mainport/sharing/service.py",
        "category()",
        "debt: make session and the principal keyword-only, or move the unchecked loader to queries.py",
    ),
    Exception_(
        "signatures",
        "mainport/sharing/service.py",
        "organisation()",
        "debt: make session and the principal keyword-only, or move the unchecked loader to queries.py",
    ),
    Exception_(
        "signatures",
        "mainport/sharing/service.py",
        "check_grant()",
        "debt: make session and the principal keyword-only, or move the unchecked loader to queries.py",
    ),
    Exception_(
        "signatures",
        "mainport/targeting/service.py",
        "score_frame()",
        "debt: make session and the principal keyword-only, or move the unchecked loader to queries.py",
    ),
    Exception_("size", "mainport/imaging/sim2/cargo.py", "lines", SIZE_DEBT),
    Exception_("size", "mainport/imaging/sim2/container.py", "lines", SIZE_DEBT),
    Exception_("size", "mainport/world/engine.py", "lines", SIZE_DEBT),
)


def test_the_package_keeps_its_contracts() -> None:
    found = check(PACKAGE, EXCEPTIONS + DEBT)
    broken = {name: lines for name, lines in found.items() if lines}
    assert not broken, "\n".join(f"[{name}] {line}" for name, lines in broken.items() for line in lines)


def test_every_exception_is_still_needed() -> None:
    """An exception whose violation is gone is deleted (and from docs/architecture.md)."""
    found = check(PACKAGE)
    stale = [e for e in EXCEPTIONS + DEBT if not any(e.covers(e.contract, v) for v in found[e.contract])]
    assert not stale, stale


def test_the_exceptions_are_documented() -> None:
    doc = (PACKAGE.parents[1] / "docs" / "architecture.md").read_text()
    for e in EXCEPTIONS:
        assert e.path in doc, f"{e.path} ({e.contract}) is not in docs/architecture.md's exceptions"


# -- each contract catches a deliberate violation ---------------------------------------------------------

VIOLATIONS = {
    "world": {"targeting/leak.py": "from pkg.world import truth\n"},
    "cycles": {
        "alpha/service.py": "from pkg.beta import service as beta\n",
        "beta/service.py": "from pkg.alpha import service as alpha\n",
    },
    "handlers": {
        "alpha/api.py": (
            "from sqlalchemy import select\nfrom pkg.beta import service as beta\n"
            "def handler(session):\n    return session.scalars(select(1))\n"
        )
    },
    "writes": {
        "beta/models.py": "class Thing:\n    pass\n",
        "alpha/service.py": "from pkg.beta.models import Thing\n\ndef make(*, session, actor):\n"
        "    session.add(Thing())\n",
    },
    "signatures": {
        "alpha/service.py": "def load(session, number):\n    pass\n\ndef look(*, session):\n    pass\n"
    },
    "commits": {"alpha/service.py": "def save(*, session, actor):\n    session.commit()\n"},
    "size": {"alpha/service.py": "x = 1\n" * 501},
}


@pytest.mark.parametrize("contract", sorted(CONTRACTS))
def test_a_deliberate_violation_is_caught(contract: str, tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    for folder in ("", "alpha", "beta", "targeting", "world"):
        (package / folder).mkdir(parents=True, exist_ok=True)
        (package / folder / "__init__.py").write_text("")
    clean = check(package)
    assert not any(clean.values()), clean
    for rel, text in VIOLATIONS[contract].items():
        (package / rel).write_text(text)
    found = check(package)
    assert found[contract], f"the {contract} contract missed its violation"
    assert all("pkg/" in line for line in found[contract])  # each names the file and line


def test_the_world_may_be_imported_by_the_demo_and_a_function_local_import_counts(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    for folder in ("", "demo", "world", "alpha"):
        (package / folder).mkdir(parents=True, exist_ok=True)
        (package / folder / "__init__.py").write_text("")
    (package / "demo" / "driver.py").write_text("from pkg.world import engine\n")
    (package / "alpha" / "service.py").write_text("def f():\n    from pkg.world import engine\n")
    lines = check(package)["world"]
    assert len(lines) == 1 and lines[0].startswith("pkg/alpha/service.py:2")
