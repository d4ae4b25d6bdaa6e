"""The attack suite's world: organisations of every kind, users of every role, and objects tied to some of
them, each carrying a marker string. What each party may see is written out here by hand (from the rules in
docs/security.md), independently of `mainport.identity.policy`, so that the suite checks the policy instead
of repeating it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from mainport.cases.models import Alert, Case
from mainport.custody import release
from mainport.custody import service as custody
from mainport.identity import service as identity
from mainport.identity.models import OrgKind, Role, User
from mainport.identity.principal import Principal
from mainport.ingest.models import QuarantinedRecord
from mainport.reference.containers import make_container_number
from mainport.shipments.models import Container, ContainerEvent, Declaration, Party, Scan
from tests.conftest import _cached_hash

T0 = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
KINDS = {
    "government": OrgKind.customs,
    "terminal": OrgKind.terminal,
    "line": OrgKind.shipping_line,
    "forwarder": OrgKind.forwarder,
    "haulier": OrgKind.haulier,
    "municipality": OrgKind.municipality,
}
# Two organisations per kind: "1" and "2" (the second is "another organisation of the same kind").
ORGS = {
    ("government", 1): dict(code="ZQDOUANE", node="rotterdam"),
    ("government", 2): dict(code="ZQPOLITIE", node="rotterdam", kind=OrgKind.police),
    ("terminal", 1): dict(code="ZQTERM-ECT", node="rotterdam", facility="ECTDE"),
    ("terminal", 2): dict(code="ZQTERM-APM", node="rotterdam", facility="APMII"),
    ("line", 1): dict(code="ZQLINE-MSC", carrier="MSCU"),
    ("line", 2): dict(code="ZQLINE-MAE", carrier="MAEU"),
    ("forwarder", 1): dict(code="ZQFWD-1"),
    ("forwarder", 2): dict(code="ZQFWD-2"),
    ("haulier", 1): dict(code="ZQHAUL-1"),
    ("haulier", 2): dict(code="ZQHAUL-2"),
    ("municipality", 1): dict(code="ZQGEM-RTM", node="rotterdam"),
    ("municipality", 2): dict(code="ZQGEM-VLI", node="zeeland_west_brabant"),
}
ROLES = (Role.admin, Role.analyst, Role.officer, Role.viewer)


@dataclass
class Actor:
    """A user of the world: principal, bearer token, and where it belongs."""

    principal: Principal
    token: str
    kind: str  # government | terminal | line | forwarder | haulier | municipality
    org_no: int
    role: Role

    @property
    def name(self) -> str:
        return self.principal.username

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class World:
    actors: dict[tuple[str, int, Role], Actor] = field(default_factory=dict)
    containers: dict[str, str] = field(default_factory=dict)  # "A" -> number
    ids: dict[str, int] = field(default_factory=dict)  # object label -> database id
    markers: dict[str, str] = field(default_factory=dict)  # marker -> what it belongs to (a "tag")
    users: dict[str, int] = field(default_factory=dict)  # username -> id

    def actor(self, kind: str, org_no: int = 1, role: Role = Role.admin) -> Actor:
        return self.actors[(kind, org_no, role)]

    def all_actors(self) -> list[Actor]:
        return list(self.actors.values())

    def actor_by_name(self, username: str) -> Actor:
        return next(a for a in self.actors.values() if a.name == username)

    # -- what each actor may see (written out by hand) --------------------------------------------------

    def visible_containers(self, a: Actor) -> set[str]:
        if a.kind == "government":
            return set(self.containers)
        return {
            ("terminal", 1): {"A"},
            ("terminal", 2): {"B", "D"},
            ("line", 1): {"A", "D"},
            ("line", 2): {"B"},
            ("forwarder", 1): {"A"},
            ("forwarder", 2): {"B"},
            ("haulier", 1): {"A"},
            ("haulier", 2): {"B"},
        }.get((a.kind, a.org_no), set())

    def visible_events(self, a: Actor) -> set[str]:
        """Event tags: container label + code (A-LOAD, A-INSP, ...)."""
        every = {t for t in self.markers.values() if t.startswith("event:")}
        if a.kind == "government":
            return {t[6:] for t in every}
        shown = {
            ("terminal", 1): {"A-DISC", "A-GTOT"},
            ("terminal", 2): {"B-DISC", "D-DISC"},
            ("line", 1): {"A-LOAD", "A-DISC", "A-GTOT", "D-LOAD", "D-DISC"},
            ("line", 2): {"B-LOAD", "B-DISC"},
            ("forwarder", 1): {"A-LOAD", "A-DISC", "A-GTOT"},
            ("forwarder", 2): {"B-LOAD", "B-DISC"},
            ("haulier", 1): {"A-LOAD", "A-DISC", "A-GTOT"},
            ("haulier", 2): {"B-LOAD", "B-DISC"},
        }
        return shown.get((a.kind, a.org_no), set())

    def visible_quarantine(self, a: Actor) -> set[str]:
        if a.role not in (Role.admin, Role.analyst):
            return set()
        if a.kind == "government":
            return {"Q-T1", "Q-T2", "Q-GOV"}
        return {("terminal", 1): {"Q-T1"}, ("terminal", 2): {"Q-T2"}}.get((a.kind, a.org_no), set())

    def visible_rights(self, a: Actor) -> set[str]:
        if a.kind == "government":
            return {"R-A", "R-B"}
        return {
            ("terminal", 1): {"R-A"},
            ("terminal", 2): {"R-B"},
            ("line", 1): {"R-A"},
            ("line", 2): {"R-B"},
            ("forwarder", 1): {"R-A"},
            ("forwarder", 2): {"R-B"},
            ("haulier", 1): {"R-A"},
            ("haulier", 2): {"R-B"},
        }.get((a.kind, a.org_no), set())

    def visible_plans(self, a: Actor) -> set[str]:
        if a.kind == "government":
            return {"P-A", "P-D"}
        return {("terminal", 1): {"P-A"}, ("terminal", 2): {"P-D"}}.get((a.kind, a.org_no), set())

    def allowed_tags(self, a: Actor) -> set[str]:
        """Every marker tag the actor may be shown somewhere."""
        p = a.principal
        if p.can("audit:read"):
            return set(self.markers.values())  # the audit trail names everything: oversight sees it all
        tags = {f"container:{c}" for c in self.visible_containers(a)}
        tags |= {f"event:{e}" for e in self.visible_events(a)}
        tags |= {f"quarantine:{q}" for q in self.visible_quarantine(a)}
        tags |= {f"right:{r}" for r in self.visible_rights(a)}
        tags |= {f"plan:{x}" for x in self.visible_plans(a)}
        if p.can("declarations:read"):
            tags |= {t for t in self.markers.values() if t.startswith("declaration:")}
        if p.can("intel:read"):
            tags |= {t for t in self.markers.values() if t.startswith(("alert:", "case:", "reason:"))}
        if p.can("imaging:read"):
            tags |= {t for t in self.markers.values() if t.startswith("scan:")}
        # Users and tokens: one's own; an admin also those of the own organisation.
        org = ORGS[(a.kind, a.org_no)]["code"]
        tags.add(f"user:{org}:{a.name}")
        tags.add(f"token:{org}:{a.name}")
        if a.role == Role.admin:
            tags |= {t for t in self.markers.values() if t.startswith(f"user:{org}:")}
            tags |= {t for t in self.markers.values() if t.startswith(f"token:{org}:")}
        return tags


def _marker(w: World, tag: str, text: str | None = None) -> str:
    text = text or f"ZQM{len(w.markers):04d}X"
    w.markers[text] = tag
    return text


def _party(session: Session, eori: str) -> Party:
    p = Party(eori=eori, name=f"Party {eori}", country="EC", first_seen=T0)
    session.add(p)
    return p


def _event(w: World, session: Session, label: str, code: str, at: datetime, place: str, facility: str | None):
    number = w.containers[label]
    marker = _marker(w, f"event:{label}-{code}", f"ZQEV-{label}-{code}")
    hub = "rotterdam" if place == "NLRTM" else None
    carrier = {"A": "MSCU", "D": "MSCU", "B": "MAEU"}.get(label, "CMDU")
    session.add(
        ContainerEvent(
            event_id=marker,
            event_type="EQUIPMENT",
            event_classifier="ACT",
            type_code=code,
            event_datetime=at,
            event_created_datetime=at,
            equipment_reference=number,
            unlocode=place,
            facility_code=facility,
            seals=[],
            hub=hub,
            source="world",
            payload={"transportCall": {"vessel": {"vesselOperatorCarrierCode": carrier}}},
        )
    )


def build(session: Session) -> World:
    from mainport.sharing.service import seed_defaults

    w = World()
    # The default agreements stored, as bootstrap does: every decision below comes from the policy decision
    # point reading them (mainport.sharing.pdp), not from its built-in copy.
    seed_defaults(session=session)
    for (kind, no), spec in ORGS.items():
        org = identity.get_or_create_organisation(
            session=session,
            code=spec["code"],
            name=spec["code"],
            kind=spec.get("kind", KINDS[kind]),
            node_code=spec.get("node"),
            facility_code=spec.get("facility"),
            carrier_code=spec.get("carrier"),
        )
        for role in ROLES:
            username = f"zq_{kind[:4]}{no}_{role.value}"
            user = User(
                username=username,
                full_name=_marker(w, f"user:{spec['code']}:{username}"),
                password_hash=_cached_hash(),
                role=role,
                organisation=org,
            )
            session.add(user)
            session.flush()
            w.users[username] = user.id
            principal = identity.principal_for(user)
            tok, plain = identity.create_token(
                session=session,
                actor=principal,
                user=user,
                name=_marker(w, f"token:{spec['code']}:{username}"),
            )
            w.ids[f"token:{username}"] = tok.id
            w.actors[(kind, no, role)] = Actor(principal, plain, kind, no, role)
    for i, label in enumerate("ABCD"):
        w.containers[label] = make_container_number(
            {"A": "MSC", "B": "MAE", "C": "CMA", "D": "MSC"}[label], 7000 + i
        )
        _marker(w, f"container:{label}", w.containers[label])
        session.add(Container(number=w.containers[label], size_type="45R1", first_seen=T0))
    # Declarations (customs data): A and D carried by MSCU, B by MAEU, C by a carrier nobody here is.
    for label, carrier in (("A", "MSCU"), ("B", "MAEU"), ("C", "CMDU"), ("D", "MSCU")):
        decl = Declaration(
            reference=f"26NLZQ{label}{uuid.uuid4().hex[:8]}",
            filed_at=T0,
            bill_of_lading=f"BLZQ{label}",
            consignor=_party(session, f"ECZQ{label}0001"),
            consignee=_party(session, f"NLZQ{label}0002"),
            carrier=carrier,
            place_of_loading="ECGYE",
            place_of_discharge="NLRTM",
            countries_of_routing=["EC", "NL"],
            hs_code="080390",
            goods_description=_marker(w, f"declaration:{label}", f"ZQDECL-{label}"),
            packages=100,
            gross_mass_kg=20000.0,
            container_number=w.containers[label],
            seal_numbers=[],
            hub="rotterdam",
            source="world",
        )
        session.add(decl)
        session.flush()
        w.ids[f"declaration:{label}"] = decl.id
    # Events: A loaded abroad, discharged and inspected at ECT, out of the gate; B, D at APM; C abroad only.
    _event(w, session, "A", "LOAD", T0, "ECGYE", "CGSA")
    _event(w, session, "A", "DISC", T0 + timedelta(days=14), "NLRTM", "ECTDE")
    _event(w, session, "A", "INSP", T0 + timedelta(days=15), "NLRTM", "ECTDE")
    _event(w, session, "A", "GTOT", T0 + timedelta(days=16), "NLRTM", "ECTDE")
    _event(w, session, "B", "LOAD", T0, "ECGYE", "CGSA")
    _event(w, session, "B", "DISC", T0 + timedelta(days=14), "NLRTM", "APMII")
    _event(w, session, "C", "LOAD", T0, "ECGYE", "CGSA")
    _event(w, session, "D", "LOAD", T0, "ECGYE", "CGSA")
    _event(w, session, "D", "DISC", T0 + timedelta(days=14), "NLRTM", "APMII")
    session.flush()

    customs = w.actor("government", 1, Role.admin).principal
    # Custody plans (customs selected A at ECT and D at APM); why is intelligence.
    for label, facility in (("A", "ECTDE"), ("D", "APMII")):
        plan = custody.open_plan(
            session=session,
            actor=customs,
            container_number=w.containers[label],
            facility_code=facility,
            source="manual",
            reason=_marker(w, f"reason:{label}", f"ZQREASON-{label}"),
            guarded_area=_marker(w, f"plan:P-{label}", f"ZQGUARD-{label}"),
            hub="rotterdam",
        )
        w.ids[f"plan:P-{label}"] = plan.id
    # Release rights: MSCU for A to FWD-1 -> HAUL-1 -> driver; MAEU for B to FWD-2 -> HAUL-2 -> driver.
    for label, line_no, facility in (("A", 1, "ECTDE"), ("B", 2, "APMII")):
        line = w.actor("line", line_no, Role.officer).principal
        right = release.issue_right(
            session=session,
            actor=line,
            container_number=w.containers[label],
            facility_code=facility,
            release_party=ORGS[("forwarder", line_no)]["code"],
        )
        release.nominate(
            session=session,
            actor=w.actor("forwarder", line_no, Role.officer).principal,
            right_id=right.id,
            nominee=ORGS[("haulier", line_no)]["code"],
        )
        release.nominate(
            session=session,
            actor=w.actor("haulier", line_no, Role.officer).principal,
            right_id=right.id,
            nominee=_marker(w, f"right:R-{label}", f"ZQDRV-{label}"),
        )
        w.ids[f"right:R-{label}"] = right.id
    # Quarantined records: one sent by each terminal's analyst, one from a customs declaration file.
    for tag, source in (
        ("Q-T1", f"api:{w.actor('terminal', 1, Role.analyst).name}"),
        ("Q-T2", f"api:{w.actor('terminal', 2, Role.analyst).name}"),
        ("Q-GOV", "/data/customs/declarations.jsonl"),
    ):
        rec = QuarantinedRecord(
            kind="event" if tag != "Q-GOV" else "declaration",
            source=source,
            locator="record 1",
            raw='{"consignee": "' + _marker(w, f"quarantine:{tag}", f"ZQQ-{tag}") + '"}',
            raw_size=40,
            reason="missing eventID",
            status="open",
            received_at=T0,
            retries=0,
        )
        session.add(rec)
        session.flush()
        w.ids[f"quarantine:{tag}"] = rec.id
    # Intelligence: an alert and a case on A, a scan of A.
    alert = Alert(
        source="manual",
        kind="manual.tip",
        severity=3,
        container_number=w.containers["A"],
        hub="rotterdam",
        title=_marker(w, "alert:1", "ZQALERT-1"),
        detail={"url": "/\\evil.example/"},
        dedup_key="zq-alert-1",
    )
    session.add(alert)
    case = Case(
        title=_marker(w, "case:1", "ZQCASE-1"),
        container_number=w.containers["A"],
        hub="rotterdam",
        opened_by="zq",
        notes="",
    )
    session.add(case)
    scan = Scan(
        container_number=w.containers["A"],
        scanner_id=_marker(w, "scan:1", "ZQSCAN-1"),
        unlocode="NLRTM",
        phase="arrival",
        scanned_at=T0 + timedelta(days=15),
        image_uri="local://nowhere/scan.npy",
        meta={},
    )
    session.add(scan)
    session.flush()
    w.ids["alert:1"], w.ids["case:1"], w.ids["scan:1"] = alert.id, case.id, scan.id
    return w
