"""The product used as its users would, on the loaded world: every step is a domain service called as one of
the cast (`cast.py`), in its own transaction. Nothing here reads the world's `truth/`: what an inspection
finds comes back through `Inspections` (the world plays the officers who open the box, `world.reality`).
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mainport import flows
from mainport.cases import service as cases
from mainport.custody import release, seals
from mainport.custody import service as custody
from mainport.database import session_scope
from mainport.demo import cast as casting
from mainport.demo.follow import Standing, standing
from mainport.demo.plan import DemoPlan, Timeline
from mainport.identity.principal import system_principal
from mainport.imaging import service as imaging
from mainport.monitoring import displacement, queries
from mainport.monitoring import service as monitoring
from mainport.reference.nodes import NODES
from mainport.shipments.models import ContainerEvent
from mainport.targeting import service as targeting
from mainport.targeting.models import Selection
from mainport.targeting.selection import DEFAULT_STRATEGY
from mainport.world.reality import InspectionFinding, InspectionOrder

HUBS = tuple(NODES)
CASE_SOURCES = ("seal", "imaging", "custody")  # alerts an analyst sends for a physical search


class Inspections(Protocol):
    """Whoever opens the boxes: answers each inspection order with what was found."""

    def inspect(self, orders: Iterable[InspectionOrder]) -> list[InspectionFinding]: ...


@dataclass
class Followed:
    selection_day: date
    hub: str
    item_id: int
    declaration_id: int
    alert_id: int | None
    kind: str
    strategy: str
    container: str | None
    reference: str
    carrier: str | None
    where: Standing


@dataclass
class Demo:
    factory: sessionmaker[Session]
    plan: DemoPlan
    tl: Timeline
    log: Callable[[str], None] = lambda _msg: None
    counts: Counter[str] = field(default_factory=Counter)
    followed: list[Followed] = field(default_factory=list)
    cast: casting.Cast | None = None

    # -- people ---------------------------------------------------------------------------------------
    def people(self) -> casting.Cast:
        if self.cast is None:
            with session_scope(self.factory) as s:
                self.cast = casting.build_cast(s)
        return self.cast

    # -- targeting --------------------------------------------------------------------------------------
    def measure(self) -> None:
        """The analyst records the enforcement change the world lived through (more scanning at one hub)."""
        c, p = self.people(), self.plan
        with session_scope(self.factory) as s:
            monitoring.record_measure(
                session=s,
                actor=c.analyst,
                hub=p.change_hub,
                year=self.tl.change.year,
                name=f"Scanning capacity x{p.change_factor:g}",
                budget_eur_m=4.0,
                spent_eur_m=1.5,
                results="extra scanner shifts on the terminals",
                started_on=self.tl.change,
            )
        self.counts["measures"] += 1

    def select(self) -> None:
        """Daily selections per hub over its live days, within each hub's capacity, oldest day first.

        Today's run with the platform's default strategy (thompson); the days before with `mixed`
        (uncertainty sampling): thompson rebuilds its profile statistics on every selection (about a second
        each here), which over weeks of back-filled days would cost the first start a minute."""
        c = self.people()
        days = sorted({d for n in self.plan.live_days.values() for d in self.tl.live_days(n)})
        for day in days:
            with session_scope(self.factory) as s:
                for hub in HUBS:
                    if day not in self.tl.live_days(self.plan.live_days.get(hub, 1)):
                        continue
                    sel = targeting.run_selection(
                        session=s,
                        actor=c.analyst,
                        hub=hub,
                        day=day,
                        capacity=self.plan.capacity.get(hub),
                        strategy=DEFAULT_STRATEGY if day == self.tl.today else "mixed",
                        seed=zlib.crc32(f"{hub}/{day}".encode()),
                    )
                    self.counts["selections"] += 1
                    self.counts["selected"] += len(sel.items)
        self.log(f"targeting: {self.counts['selections']} selections, {self.counts['selected']} selected")

    def follow(self) -> None:
        """The officer opens each selected declaration: arrived, on its way, or inspected already."""
        c = self.people()
        with session_scope(self.factory) as s:
            selections = s.scalars(select(Selection).order_by(Selection.id))
            for sel in selections:
                for item in sel.items:
                    d = targeting.declaration_detail(
                        session=s, actor=c.officer, declaration_id=item.declaration_id
                    )
                    decl = d["declaration"]
                    where = standing(decl, d["events"], d["inspections"], self.tl.now)
                    self.followed.append(
                        Followed(
                            sel.day,
                            sel.hub,
                            item.id,
                            item.declaration_id,
                            item.alert_id,
                            item.kind,
                            item.strategy,
                            decl.container_number,
                            decl.reference,
                            decl.carrier,
                            where,
                        )
                    )
                    self.counts[f"followed_{where.status}"] += 1

    def orders(self) -> list[InspectionOrder]:
        return [
            InspectionOrder(f.reference, f.container, "physical" if f.kind == "physical" else "scan", at)
            for f in self.followed
            if f.where.status == "inspect" and (at := f.where.inspect_at) is not None
        ]

    def record_outcomes(self, findings: list[InspectionFinding]) -> None:
        """The officer records each result; the analyst closes nothing-found alerts and opens a case
        (given to the police investigator) for every find."""
        c = self.people()
        by_ref = {f.reference: f for f in self.followed}
        with session_scope(self.factory) as s:
            for finding in findings:
                f = by_ref[finding.order.reference]
                result = "found" if finding.found else "not_found"
                flows.record_outcome(
                    session=s,
                    actor=c.officer,
                    declaration_id=f.declaration_id,
                    result=result,
                    kg=finding.kg,
                    kind=finding.order.kind,
                    inspected_at=finding.order.at,
                    notes=f"{finding.order.kind} on arrival"
                    + (f": {finding.kg:g} kg cocaine ({finding.modus_operandi})" if finding.found else ""),
                )
                self.counts[f"outcome_{result}"] += 1
                if f.alert_id is None:
                    continue
                if finding.found:
                    cases.open_case(
                        session=s,
                        actor=c.analyst,
                        alert_ids=[f.alert_id],
                        title=f"{finding.kg:g} kg cocaine in {f.container or f.reference}: who is behind it",
                        assignee=c.police.username,
                        notes=f"found by {finding.order.kind} ({finding.modus_operandi}); selected by "
                        f"{f.strategy} on {f.selection_day}",
                    )
                    self.counts["cases_investigating"] += 1
                else:
                    cases.dismiss_alert(
                        session=s, actor=c.analyst, alert_id=f.alert_id, reason="inspected: nothing found"
                    )
        self.log(
            f"outcomes: {self.counts['outcome_found']} found, "
            f"{self.counts['outcome_not_found']} nothing found"
        )

    # -- seals --------------------------------------------------------------------------------------------
    def check_seals(self) -> None:
        """The recurring checks after ingest: seals on the boxes discharged lately, door events judged."""
        c = self.people()
        since = self.tl.now - timedelta(days=self.plan.seal_check_days)
        with session_scope(self.factory) as s:
            boxes = s.scalars(
                select(ContainerEvent.equipment_reference)
                .where(
                    ContainerEvent.type_code == "DISC",
                    ContainerEvent.event_classifier == "ACT",
                    ContainerEvent.hub.is_not(None),
                    ContainerEvent.event_datetime >= since,
                    ContainerEvent.event_datetime <= self.tl.now,
                )
                .distinct()
            ).all()
            for number in boxes:
                if number:
                    self.counts["seal_alerts"] += len(
                        seals.check_seals(session=s, actor=c.analyst, container_number=number)
                    )
            self.counts["seal_checked"] = len(boxes)
        with session_scope(self.factory) as s:
            _stored, _dups, alerts = seals.ingest_door_events(
                session=s, actor=system_principal(), since=since
            )
            self.counts["door_alerts"] += len(alerts)
        self.log(f"seals: {len(boxes)} boxes checked, {self.counts['seal_alerts']} seal alerts")

    def alert_orders(self) -> list[tuple[int, str, InspectionOrder]]:
        """The analyst takes the most severe seal and scan alerts on arrived boxes nobody inspected yet into
        cases, each with a physical search: (alert id, hub, order)."""
        c = self.people()
        picked: list[tuple[int, str, InspectionOrder]] = []
        done = {f.container for f in self.followed if f.where.status in ("inspect", "inspected_before")}
        with session_scope(self.factory) as s:
            alerts = [
                a
                for source in CASE_SOURCES
                for a in cases.list_alerts(session=s, actor=c.analyst, status="new", source=source, limit=100)
            ]
            for a in sorted(alerts, key=lambda a: (-a.severity, a.id)):
                if len(picked) >= self.plan.cases_from_alerts:
                    break
                if not a.container_number or not a.hub or a.container_number in done:
                    continue
                done.add(a.container_number)
                decl = next(
                    (d for d in reversed(_journey(s, c, a.container_number).declarations) if d.hub == a.hub),
                    None,
                )
                at = _alert_time(a.detail) or a.raised_at
                if decl is None or at > self.tl.now - timedelta(hours=3):
                    continue
                detail = targeting.declaration_detail(session=s, actor=c.analyst, declaration_id=decl.id)
                if detail["inspections"]:
                    continue  # inspected on arrival already: its result is known
                search = at + timedelta(hours=3)
                picked.append(
                    (a.id, a.hub, InspectionOrder(decl.reference, a.container_number, "physical", search))
                )
        return picked

    def cases_from_alerts(
        self, picked: list[tuple[int, str, InspectionOrder]], findings: list[InspectionFinding]
    ) -> None:
        """A case per picked alert: assigned, searched, outcome recorded (inspection, seizure), closed."""
        c = self.people()
        with session_scope(self.factory) as s:
            alert_kinds = {
                i: cases.get_alert(session=s, actor=c.analyst, alert_id=i).kind for i, _h, _o in picked
            }
            for (alert_id, _hub, order), finding in zip(picked, findings, strict=True):
                case = flows.open_case_from_alerts(
                    session=s,
                    actor=c.analyst,
                    alert_ids=[alert_id],
                    title=f"{alert_kinds[alert_id]} on {order.container_number}: physical search",
                    assignee=c.officer.username,
                )
                flows.conclude_case(
                    session=s,
                    actor=c.officer,
                    case_id=case.id,
                    result="found" if finding.found else "not_found",
                    kg_seized=finding.kg,
                    modus_operandi=finding.modus_operandi,
                    notes=f"physical search after the {alert_kinds.get(alert_id, 'alert')} alert",
                    inspected_at=order.at,
                )
                self.counts["cases_closed"] += 1
                self.counts["cases_found"] += int(finding.found)
        self.log(
            f"cases: {self.counts['cases_closed']} closed after a search, {self.counts['cases_found']} finds"
        )

    # -- custody --------------------------------------------------------------------------------------------
    def custody(self) -> None:
        """Custody plans for the selected boxes on their way or just discharged; the terminal moves them to
        the guarded area (one stays outside: a dwell alert); the officer starts one inspection."""
        c = self.people()
        plans: list[tuple[int, Followed]] = []
        with session_scope(self.factory) as s:
            soon = self.tl.now + timedelta(days=self.plan.custody_days)
            for f in self.followed:
                if f.where.status not in ("on_its_way", "recent") or not f.where.facility or not f.container:
                    continue
                if f.where.arrival is None or f.where.arrival > soon:
                    continue
                if custody.active_plan(s, f.container) is not None:
                    continue
                plan = custody.open_plan(
                    session=s,
                    actor=c.officer,
                    container_number=f.container,
                    facility_code=f.where.facility,
                    source="targeting",
                    reason=f"selected for {f.kind} ({f.strategy}) on {f.selection_day}",
                    hub=f.hub,
                    declaration_id=f.declaration_id,
                    alert_id=f.alert_id,
                )
                if f.alert_id is not None:
                    cases.triage_alert(
                        session=s, actor=c.analyst, alert_id=f.alert_id, note="custody plan opened"
                    )
                plans.append((plan.id, f))
        self.counts["custody_plans"] = len(plans)
        recent = [(pid, f) for pid, f in plans if f.where.status == "recent"]
        with session_scope(self.factory) as s:
            for n, (pid, f) in enumerate(recent):
                self.counts["custody_alerts"] += len(
                    custody.sync_events(session=s, actor=c.officer, plan_id=pid)
                )
                if n == len(recent) - 1 and n > 0:
                    continue  # left where it was discharged: the dwell check will see it
                assert f.where.facility and f.where.arrival
                term = casting.terminal(s, c, f.where.facility, f.hub)
                custody.record_step(
                    session=s,
                    actor=term,
                    plan_id=pid,
                    step="guarded",
                    at=f.where.arrival + timedelta(minutes=50),
                    location=custody.guarded_area_of(f.where.facility),
                )
                if n == 0:
                    custody.record_step(
                        session=s,
                        actor=c.officer,
                        plan_id=pid,
                        step="inspection_started",
                        at=min(f.where.arrival + timedelta(hours=3), self.tl.now),
                    )
        with session_scope(self.factory) as s:
            self.counts["custody_alerts"] += len(
                custody.check_dwell(session=s, actor=c.officer, now=self.tl.now)
            )
        self.log(f"custody: {len(plans)} plans, {len(recent)} discharged lately")

    # -- release -----------------------------------------------------------------------------------------
    def release_rights(self) -> None:
        """Lines issue release rights for boxes discharged lately; forwarder and haulier nominate; the
        terminal's gate lets most out; one right is for a box customs holds (refused, an alert)."""
        c, p = self.people(), self.plan
        held = [f for f in self.followed if f.where.status == "recent" and f.container and f.carrier]
        with session_scope(self.factory) as s:
            rows = s.execute(
                select(ContainerEvent.equipment_reference, ContainerEvent.facility_code, ContainerEvent.hub)
                .where(
                    ContainerEvent.type_code == "DISC",
                    ContainerEvent.event_classifier == "ACT",
                    ContainerEvent.hub.is_not(None),
                    ContainerEvent.facility_code.is_not(None),
                    ContainerEvent.event_datetime >= self.tl.now - timedelta(days=2),
                    ContainerEvent.event_datetime <= self.tl.now,
                )
                .order_by(ContainerEvent.event_datetime)
            ).all()
            free = [(n, fac, hub) for n, fac, hub in rows if n and not custody.under_hold(s, n)]
            boxes = free[: p.release_rights] + [(f.container, f.where.facility, f.hub) for f in held[:1]]
            for k, (number, facility, hub) in enumerate(boxes):
                assert number and facility
                decl = next(iter(reversed(_journey(s, c, number).declarations)), None)
                if decl is None or not decl.carrier:
                    continue
                line = casting.shipping_line(s, c, decl.carrier)
                right = release.issue_right(
                    session=s,
                    actor=line,
                    container_number=number,
                    facility_code=facility,
                    release_party=c.forwarder.org_code,
                    not_before=self.tl.now - timedelta(hours=1),
                )
                self.counts["release_rights"] += 1
                if k == 1:
                    release.revoke_right(
                        session=s, actor=line, right_id=right.id, reason="wrong release party"
                    )
                    self.counts["release_revoked"] += 1
                    continue
                release.nominate(session=s, actor=c.forwarder, right_id=right.id, nominee=c.haulier.org_code)
                driver = f"NL-DRV-{k + 1:04d}"
                _right, token = release.nominate(
                    session=s, actor=c.haulier, right_id=right.id, nominee=driver
                )
                if k == 2 or token is None:
                    continue  # nominated, truck not at the gate yet
                answer = release.gate_check(
                    session=s,
                    actor=casting.terminal(s, c, facility, hub),
                    container_number=number,
                    carrier_id=c.haulier.org_code,
                    driver_id=driver,
                    token=token,
                )
                self.counts[f"gate_{answer.reason}"] += 1
        self.log(f"release: {self.counts['release_rights']} rights")

    # -- scans ----------------------------------------------------------------------------------------------
    def scans(self, files: list[Path]) -> None:
        """The officer ingests the rendered origin and arrival scans; each pair is compared on arrival."""
        c = self.people()
        with session_scope(self.factory) as s:
            for path in files:
                got = imaging.ingest_scan_file(session=s, actor=c.officer, path=path)
                imaging.record_run(session=s, actor=c.officer, result=got)
                self.counts["scans"] += got.recon.stored
                self.counts["scan_comparisons"] += len(got.comparison_ids)
                self.counts["scan_alerts"] += len(got.alert_ids)
        self.log(f"scans: {self.counts['scans']} stored, {self.counts['scan_comparisons']} comparisons")

    # -- monitoring -----------------------------------------------------------------------------------------
    def waterbed(self) -> None:
        """The analyst runs the waterbed detector over the full weeks since the start."""
        c = self.people()
        this_monday = self.tl.today - timedelta(days=self.tl.today.weekday())
        with session_scope(self.factory) as s:
            filters = queries.make_filters(self.tl.start, this_monday, None, "week")
            findings = displacement.run_waterbed(session=s, actor=c.analyst, filters=filters)
            self.counts["waterbed_tests"] = len(findings)
            self.counts["waterbed_signals"] = sum(f.flagged for f in findings)
        self.log(
            f"waterbed: {self.counts['waterbed_signals']} signal(s) in {self.counts['waterbed_tests']} tests"
        )


def _journey(session: Session, cast: casting.Cast, number: str) -> Any:
    from mainport.shipments import service as shipments

    return shipments.container_journey(session=session, actor=cast.analyst, number=number)


def _alert_time(detail: dict[str, Any]) -> datetime | None:
    at = detail.get("at")
    try:
        return datetime.fromisoformat(str(at)) if at else None
    except ValueError:
        return None
