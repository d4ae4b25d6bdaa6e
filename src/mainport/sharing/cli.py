"""`mainport sharing`: the register, agreements, requests, delegations, figures and retention."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session, sessionmaker

from mainport.database import session_scope, utcnow
from mainport.errors import ValidationFailed
from mainport.identity.principal import Principal

app = typer.Typer(help="Data sharing: agreements, requests, delegations and figures.", no_args_is_help=True)
AsUser = Annotated[str | None, typer.Option("--as-user", help="act as this user instead of the system")]
console = Console(width=160)


@app.callback()
def main() -> None:
    """Data sharing: agreements, requests, delegations and figures."""


def _factory() -> sessionmaker[Session]:
    from mainport.database.runtime import get_session_factory

    return get_session_factory()


def _actor(factory: sessionmaker[Session], as_user: str | None) -> Principal:
    from mainport.identity.acting import acting_principal

    return acting_principal(factory, as_user)


def _moment(value: str | None, what: str) -> datetime | None:
    if not value:
        return None
    try:
        t = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(f"{what}: {value!r} is not a date (YYYY-MM-DD) or ISO time") from None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


@app.command("seed")
def seed() -> None:
    """Store the default categories, legal bases, purposes and agreements (those missing)."""
    from mainport.sharing import service

    with session_scope(_factory()) as session:
        added = service.seed_defaults(session=session)
    console.print(f"{added} default agreements added")


@app.command("agreements")
def agreements(
    in_force: Annotated[bool, typer.Option("--in-force", help="only those in force now")] = False,
    category: Annotated[str | None, typer.Option("--category")] = None,
    as_user: AsUser = None,
) -> None:
    """List agreements (the read is audited)."""
    from mainport.sharing import service

    factory = _factory()
    actor = _actor(factory, as_user)
    with session_scope(factory) as session:
        rows = service.list_agreements(
            session=session, actor=actor, in_force=in_force, category_code=category
        )
        table = Table(
            "id", "reference", "owner", "partner", "category", "actions", "conditions", "purpose", "basis"
        )
        table.columns[1].no_wrap = True
        for a in rows:
            table.add_row(
                str(a.id),
                a.reference,
                a.owner_org,
                a.partner_org or f"every {a.partner_kind}",
                a.category,
                ",".join(a.actions),
                ",".join(a.conditions) or "-",
                a.purpose.code,
                a.legal_basis.article + (" (revoked)" if a.revoked_at else ""),
            )
    console.print(table)


@app.command("grant")
def grant(
    category: Annotated[str, typer.Option("--category", help="declarations, events, scans, ...")],
    purpose: Annotated[str, typer.Option("--purpose")],
    legal_basis: Annotated[str, typer.Option("--legal-basis")],
    partner: Annotated[str | None, typer.Option("--partner", help="organisation code")] = None,
    partner_kind: Annotated[
        str | None, typer.Option("--partner-kind", help="every organisation of a kind")
    ] = None,
    actions: Annotated[str, typer.Option("--actions", help="read, write or read,write")] = "read",
    conditions: Annotated[str, typer.Option("--conditions", help="own_facility,pseudonymised,...")] = "",
    owner: Annotated[str | None, typer.Option("--owner", help="owner organisation (the system only)")] = None,
    valid_to: Annotated[str | None, typer.Option("--valid-to", help="YYYY-MM-DD")] = None,
    as_user: AsUser = None,
) -> None:
    """Grant a partner (or every organisation of a kind) a category for a purpose."""
    from mainport.sharing import service

    factory = _factory()
    actor = _actor(factory, as_user)
    with session_scope(factory) as session:
        a = service.create_agreement(
            session=session,
            actor=actor,
            category_code=category,
            actions=actions.split(","),
            purpose_code=purpose,
            legal_basis_code=legal_basis,
            partner_org=partner,
            partner_kind=partner_kind,
            conditions=[c for c in conditions.split(",") if c],
            owner_org=owner,
            valid_to=_moment(valid_to, "--valid-to"),
        )
        console.print(f"agreement {a.id} ({a.reference}) in force")


@app.command("revoke")
def revoke(
    agreement_id: int, reason: Annotated[str, typer.Option("--reason")], as_user: AsUser = None
) -> None:
    """End an agreement (with a reason)."""
    from mainport.sharing import service

    factory = _factory()
    actor = _actor(factory, as_user)
    with session_scope(factory) as session:
        a = service.revoke_agreement(session=session, actor=actor, agreement_id=agreement_id, reason=reason)
        console.print(f"agreement {a.reference} revoked")


@app.command("requests")
def list_requests(
    state: Annotated[str | None, typer.Option("--status")] = None, as_user: AsUser = None
) -> None:
    """List sharing requests."""
    from mainport.sharing import requests

    factory = _factory()
    actor = _actor(factory, as_user)
    with session_scope(factory) as session:
        table = Table("id", "from", "to", "category", "purpose", "status", "expires", "reason")
        for r in requests.list_requests(session=session, actor=actor, status=state):
            table.add_row(
                str(r.id),
                r.requester_org,
                r.owner_org,
                r.category,
                r.purpose.code,
                r.status,
                f"{r.expires_at:%Y-%m-%d}",
                r.decision_reason or r.justification,
            )
    console.print(table)


@app.command("decide")
def decide(
    request_id: int,
    approve: Annotated[bool, typer.Option("--approve/--refuse", help="approve or refuse")],
    reason: Annotated[str, typer.Option("--reason")] = "",
    as_user: AsUser = None,
) -> None:
    """Approve (an agreement follows) or refuse (with a reason) a sharing request."""
    from mainport.sharing import requests

    factory = _factory()
    actor = _actor(factory, as_user)
    with session_scope(factory) as session:
        if approve:
            r = requests.approve(session=session, actor=actor, request_id=request_id, reason=reason)
        else:
            r = requests.refuse(session=session, actor=actor, request_id=request_id, reason=reason)
        console.print(f"request {r.id} {r.status}")


@app.command("figures")
def show_figures(
    month: Annotated[str, typer.Option("--month", help="YYYY-MM (default: this month)")] = "",
    store: Annotated[
        bool, typer.Option("--store", help="rebuild the month from the audit log first")
    ] = False,
    as_user: AsUser = None,
) -> None:
    """Sharing figures per owner, partner and category for a month."""
    from mainport.sharing import figures

    month = month or utcnow().strftime("%Y-%m")
    factory = _factory()
    actor = _actor(factory, as_user)
    with session_scope(factory) as session:
        if store:
            actor.require("monitoring:write")
            figures.store(session, month)
        table = Table(
            "owner", "partner", "category", "records", "disclosures", "requests", "refusals", title=month
        )
        for f in figures.figures(session=session, actor=actor, month=month):
            table.add_row(
                f.owner_org,
                f.partner_org,
                f.category,
                str(f.records),
                str(f.disclosures),
                str(f.requests),
                str(f.refusals),
            )
    console.print(table)


@app.command("retention")
def retention_cmd(
    category: Annotated[str | None, typer.Option("--category", help="set this category's period")] = None,
    days: Annotated[int | None, typer.Option("--days", min=1, max=36500)] = None,
    keep: Annotated[bool, typer.Option("--keep", help="no retention period for the category")] = False,
    as_user: AsUser = None,
) -> None:
    """Show retention per category, or set one (--category X --days N | --keep)."""
    from mainport.sharing import service

    factory = _factory()
    actor = _actor(factory, as_user)
    with session_scope(factory) as session:
        if category is not None:
            if days is None and not keep:
                raise ValidationFailed("--days: give a period in days, or --keep")
            service.set_retention(session=session, actor=actor, code=category, days=None if keep else days)
        table = Table("category", "title", "intelligence", "retention")
        for c in service.categories(session=session, actor=actor):
            days_text = f"{c.retention_days} days" if c.retention_days else "kept"
            table.add_row(c.code, c.title, "yes" if c.intelligence else "no", days_text)
    console.print(table)
