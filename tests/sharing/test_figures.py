"""Sharing figures per owner-partner pair, category and month: built from the audit log and matching counts
taken from it directly, on a small case and on a month of the demo world; stored by the job, idempotently."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from mainport.audit.models import AuditEntry
from mainport.database import session_scope, utcnow
from mainport.identity.models import Organisation, OrgKind, Role, User
from mainport.identity.principal import system_principal
from mainport.recurring import JobContext
from mainport.sharing import figures, jobs, requests, service
from mainport.sharing.models import SharingFigure
from mainport.sharing.pdp import ENTITY_CATEGORY


def _direct_counts(session: Session, month: str) -> tuple[Counter[tuple[str, str]], Counter[tuple[str, str]]]:
    """Straight from the audit log, without the sharing note: entries of a category's entity types made by
    users of non-customs organisations, per (partner, category); and the records they name."""
    start, end = figures.month_bounds(month)
    kinds = {code: kind for code, kind in session.execute(select(Organisation.code, Organisation.kind))}
    entries, records = Counter[tuple[str, str]](), Counter[tuple[str, str]]()
    for e in session.scalars(select(AuditEntry).where(AuditEntry.at >= start, AuditEntry.at < end)):
        kind = kinds.get(e.actor_org)
        if kind is None or kind == OrgKind.customs or e.entity_type not in ENTITY_CATEGORY:
            continue
        key = (e.actor_org, ENTITY_CATEGORY[e.entity_type])
        entries[key] += 1
        d = e.detail
        n = next(
            (d[k] for k in ("returned", "events", "rows", "count", "stored", "items", "shown") if k in d), 1
        )
        records[key] += int(n)
    return entries, records


def _figures_by_pair(rows: list[figures.Figure]) -> tuple[Counter[tuple[str, str]], Counter[tuple[str, str]]]:
    d, r = Counter[tuple[str, str]](), Counter[tuple[str, str]]()
    for f in rows:
        if f.disclosures:
            d[(f.partner_org, f.category)] += f.disclosures
            r[(f.partner_org, f.category)] += f.records
    return d, r


def test_figures_match_the_audit_log_and_count_requests(session: Session, principal_factory) -> None:
    from mainport.shipments import service as shipments
    from tests.sharing.seed import box_with_event

    service.seed_defaults(session=session)
    customs = principal_factory(kind=OrgKind.customs, org_code="DOUANE", role=Role.admin)
    police = principal_factory(kind=OrgKind.police, org_code="NP-RTM", role=Role.admin)
    terminal = principal_factory(
        kind=OrgKind.terminal, org_code="TERM-ECT", role=Role.admin, facility_code="ECTDE"
    )
    box_with_event(session, "MSCU1234565", hub="rotterdam", facility="ECTDE")
    box_with_event(session, "MSCU1234565", hub="rotterdam", facility="ECTDE", code="GTOT")
    for actor in (customs, police, police, terminal):
        shipments.container_journey(session=session, actor=actor, number="MSCU1234565")
    req = requests.ask(
        session=session,
        actor=terminal,
        owner_org="DOUANE",
        category_code="seizures",
        purpose_code="steering",
        legal_basis_code="GDPR-6-1-E",
        justification="committee",
        conditions=["aggregated_only"],
    )
    requests.refuse(session=session, actor=customs, request_id=req.id, reason="public already")
    month = utcnow().strftime("%Y-%m")
    rows = {(f.owner_org, f.partner_org, f.category): f for f in figures.compute(session, month)}
    assert rows[("DOUANE", "NP-RTM", "events")].disclosures == 2
    assert rows[("DOUANE", "NP-RTM", "events")].records == 4  # two events each time
    assert rows[("DOUANE", "TERM-ECT", "events")].records == 2
    assert ("DOUANE", "DOUANE", "events") not in rows  # the owner's own reads are no sharing
    asked = rows[("DOUANE", "TERM-ECT", "seizures")]
    assert (asked.requests, asked.refusals, asked.disclosures) == (1, 1, 0)
    direct = _direct_counts(session, month)
    assert _figures_by_pair(list(rows.values())) == direct
    # The job stores them; a second run leaves the same rows.
    ctx = JobContext(session=session, actor=system_principal(), now=utcnow(), since=None)
    jobs._figures(ctx)
    first = sorted(
        (f.owner_org, f.partner_org, f.category, f.records) for f in session.scalars(select(SharingFigure))
    )
    jobs._figures(ctx)
    again = sorted(
        (f.owner_org, f.partner_org, f.category, f.records) for f in session.scalars(select(SharingFigure))
    )
    assert first == again and len(first) == len(rows)
    # Need-to-know: the terminal sees only the pairs it is part of.
    mine = figures.figures(session=session, actor=terminal, month=month)
    assert mine and all("TERM-ECT" in (f.owner_org, f.partner_org) for f in mine)


@pytest.mark.slow
def test_a_month_of_the_demo_world_gives_figures_that_match_the_audit_log(fresh_db, tmp_path: Path) -> None:
    from mainport.demo import run_first_start
    from mainport.identity import service as identity
    from mainport.reference.service import seed_reference
    from mainport.shipments import service as shipments
    from mainport.shipments.models import ContainerEvent
    from tests.test_bootstrap import SMALL  # four weeks of world at a small scale, every step of the demo

    factory = fresh_db.factory
    with session_scope(factory) as s:
        seed_reference(session=s)
        service.seed_defaults(session=s)
    started = utcnow()
    run_first_start(factory, tmp_path / "world", plan=SMALL)
    with session_scope(factory) as s:  # the police investigator looks at boxes too
        police = identity.principal_for(s.scalar(select(User).where(User.username == "demo.police")))
        boxes = select(ContainerEvent.equipment_reference).where(
            ContainerEvent.equipment_reference.is_not(None)
        )
        for number in s.scalars(boxes.distinct().limit(5)):
            shipments.container_journey(session=s, actor=police, number=number)
    with factory() as s:
        months = figures.months_between(started, utcnow() + timedelta(seconds=1))
        rows = [f for m in months for f in figures.compute(s, m)]
        got = _figures_by_pair(rows)
        want_d, want_r = Counter[tuple[str, str]](), Counter[tuple[str, str]]()
        for m in months:
            d, r = _direct_counts(s, m)
            want_d.update(d)
            want_r.update(r)
        assert got == (want_d, want_r)
        partners = {p for p, _c in got[0]}
        assert {"NP-ZEEHAVEN"} <= partners and len(partners) >= 3, got
        assert sum(got[0].values()) >= 10
