"""The sharing API: every route needs a user, the wrong user is refused, mistakes answer 4xx in the error
shape, and an agreement's decision reaches the audit log and the declarations it pseudonymises."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from mainport.audit.models import AuditEntry
from mainport.database import utcnow
from mainport.identity.models import OrgKind, Role
from mainport.sharing import service
from mainport.sharing.redaction import pseudonym


def test_every_sharing_route_needs_a_user(app_client) -> None:
    for path in (
        "/api/v1/sharing/agreements",
        "/api/v1/sharing/requests",
        "/api/v1/sharing/delegations",
        "/api/v1/sharing/partners",
        "/api/v1/sharing/figures",
        "/api/v1/sharing/decision",
        "/api/v1/sharing/categories",
    ):
        r = app_client.get(path)
        assert r.status_code == 401 and r.json()["error"]["code"] == "not_authenticated", path


def test_owner_grants_partner_asks_and_wrong_users_are_refused(
    session, principal_factory, app_client, token_for
) -> None:
    service.seed_defaults(session=session)
    customs = principal_factory(kind=OrgKind.customs, org_code="DOUANE", role=Role.admin)
    terminal = principal_factory(
        kind=OrgKind.terminal, org_code="TERM-ECT", role=Role.admin, facility_code="ECTDE"
    )
    viewer = principal_factory(kind=OrgKind.terminal, org_code="TERM-ECT", role=Role.viewer)
    h_customs, h_terminal, h_viewer = token_for(customs), token_for(terminal), token_for(viewer)
    body = {
        "category": "events",
        "actions": ["read"],
        "purpose": "port_security",
        "legal_basis": "ISPS",
        "partner_org": "TERM-ECT",
        "conditions": ["own_hub"],
        "valid_to": (utcnow() + timedelta(days=90)).isoformat(),
    }
    # A terminal does not grant customs' data; a viewer may not even read the register.
    r = app_client.post("/api/v1/sharing/agreements", json=body, headers=h_terminal)
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    assert app_client.get("/api/v1/sharing/agreements", headers=h_viewer).status_code == 403
    r = app_client.post("/api/v1/sharing/agreements", json=body, headers=h_customs)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["legal_basis"]["article"].startswith("Regulation (EC) No 725/2004")
    # Mistakes: one line naming the field, 422, never 500.
    for bad, named in (
        ({**body, "category": "everything"}, "category"),
        ({**body, "conditions": ["sometimes"]}, "conditions"),
        ({**body, "partner_org": "NOBODY"}, "organisation"),
        ({**body, "purpose": "curiosity"}, "purpose"),
        ({**body, "partner_kind": "terminal"}, "partner"),
        ({**body, "category": "declarations", "conditions": []}, "never given to a private party"),
    ):
        r = app_client.post("/api/v1/sharing/agreements", json=bad, headers=h_customs)
        assert r.status_code == 422 and named in r.json()["error"]["message"], (bad, r.text)
    # The terminal sees the agreement for it (and those for its kind), not others'.
    mine = app_client.get("/api/v1/sharing/agreements", headers=h_terminal).json()
    assert created["id"] in [a["id"] for a in mine]
    assert {a["partner_kind"] or a["partner_org"] for a in mine} <= {"terminal", "TERM-ECT"}
    grants = app_client.get("/api/v1/sharing/decision", headers=h_terminal).json()["grants"]
    events = {tuple(g["conditions"]) for g in grants if g["category"] == "events" and g["action"] == "read"}
    assert events == {("own_facility",), ("own_hub",)}
    # Requests: the terminal asks, customs refuses with a reason.
    ask = {
        "owner_org": "DOUANE",
        "category": "seizures",
        "purpose": "steering",
        "legal_basis": "GDPR-6-1-E",
        "justification": "port security committee",
        "conditions": ["aggregated_only"],
    }
    r = app_client.post("/api/v1/sharing/requests", json=ask, headers=h_terminal)
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    assert (
        app_client.post(
            f"/api/v1/sharing/requests/{rid}/refuse", json={"reason": "x"}, headers=h_terminal
        ).status_code
        == 403
    )
    assert (
        app_client.post(f"/api/v1/sharing/requests/{rid}/refuse", json={}, headers=h_customs).status_code
        == 422
    )
    r = app_client.post(
        f"/api/v1/sharing/requests/{rid}/refuse", json={"reason": "public already"}, headers=h_customs
    )
    assert r.status_code == 200 and r.json()["status"] == "refused"
    assert (
        app_client.post("/api/v1/sharing/requests/999999/approve", json={}, headers=h_customs).status_code
        == 404
    )
    # Revocation by the owner; the partner may not revoke.
    aid = created["id"]
    assert (
        app_client.post(
            f"/api/v1/sharing/agreements/{aid}/revoke", json={"reason": "x"}, headers=h_terminal
        ).status_code
        == 403
    )
    r = app_client.post(
        f"/api/v1/sharing/agreements/{aid}/revoke", json={"reason": "ended"}, headers=h_customs
    )
    assert r.status_code == 200 and r.json()["revoked_at"]
    assert app_client.get("/api/v1/sharing/figures?month=2026-13x", headers=h_customs).status_code == 422


def test_pseudonymised_declarations_and_the_decision_in_the_audit_log(
    session, principal_factory, app_client, token_for
) -> None:
    from mainport.shipments.models import Declaration
    from tests.security.world import _party  # a party with a known EORI and name
    from tests.sharing.seed import T0

    service.seed_defaults(session=session)
    decl = Declaration(
        reference="26NLPSN0001",
        filed_at=T0,
        bill_of_lading="BLPSN",
        consignor=_party(session, "ECPSN0001"),
        consignee=_party(session, "NLPSN0002"),
        carrier="MSCU",
        place_of_loading="ECGYE",
        place_of_discharge="NLRTM",
        countries_of_routing=["EC", "NL"],
        hs_code="080390",
        goods_description="bananas",
        packages=10,
        gross_mass_kg=1000.0,
        container_number="MSCU1234565",
        seal_numbers=[],
        hub="rotterdam",
        source="t",
    )
    session.add(decl)
    session.flush()
    customs = principal_factory(kind=OrgKind.customs, org_code="DOUANE", role=Role.admin)
    principal_factory(kind=OrgKind.fiscal_investigation, org_code="FIOD", role=Role.analyst, username="fiod0")
    # FIOD's own agreement for declarations: pseudonymised. The default for its kind is withdrawn.
    default = session.scalar(
        select(service.Agreement).where(
            service.Agreement.reference == "DEFAULT-declarations-read-fiscal_investigation"
        )
    )
    service.revoke_agreement(session=session, actor=customs, agreement_id=default.id, reason="own agreement")
    service.create_agreement(
        session=session,
        actor=customs,
        category_code="declarations",
        actions=["read"],
        purpose_code="criminal_investigation",
        legal_basis_code="DW-1:33",
        partner_org="FIOD",
        conditions=["pseudonymised"],
        reference="FIOD-DECL-2026",
    )
    fiod = principal_factory(
        kind=OrgKind.fiscal_investigation, org_code="FIOD", role=Role.analyst, username="fiod1"
    )
    r = app_client.get(f"/api/v1/declarations/{decl.id}", headers=token_for(fiod))
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["consignor"]["eori"] == pseudonym("declarations", "ECPSN0001") != "ECPSN0001"
    assert got["consignor"]["name"].startswith("PSN-") and got["goods_description"] == "bananas"
    plain = app_client.get(f"/api/v1/declarations/{decl.id}", headers=token_for(customs)).json()
    assert plain["consignor"]["eori"] == "ECPSN0001"
    session.expire_all()
    entry = session.scalar(
        select(AuditEntry).where(AuditEntry.action == "declaration.read", AuditEntry.actor_org == "FIOD")
    )
    note = entry.detail["sharing"]
    assert note["agreement"] == "FIOD-DECL-2026" and note["owner"] == "DOUANE"
    assert note["conditions"] == ["pseudonymised"] and note["decision"] == "permit" and note["records"] == 1
