"""Ingest of the smaller feeds: access logs, e-seal status, inspections, seizures (as the world writes)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from mainport.cases.models import Alert
from mainport.custody.models import SealTelemetry
from mainport.errors import PermissionDenied
from mainport.identity.models import OrgKind, Role
from mainport.identity.principal import Principal, system_principal
from mainport.ingest import cli, declaration_store, runs, service
from mainport.ingest.jobs import ingest_file
from mainport.ingest.models import IngestRun, QuarantinedRecord
from mainport.ingest.readers import records_from_objects
from mainport.insider.models import StaffLookup
from mainport.reference.containers import make_container_number
from mainport.shipments.models import Container, Declaration, Inspection, Seizure
from tests.ingest.helpers import declaration

BOX = make_container_number("MSC", 7001)
BOX2 = make_container_number("MSC", 7002)


def lookup(i: int, **over: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "at": f"2024-03-04T{8 + i % 10:02d}:{i % 60:02d}:00Z",
        "user": f"ectde.{i:03d}",
        "org": "ECTDE",
        "hub": "rotterdam",
        "unlocode": "NLRTM",
        "facility": "ECTDE",
        "container_number": make_container_number("MSC", 8000 + i),
        "kind": "position",
        "object": "",
    }
    rec.update(over)
    return rec


def eseal(i: int, **over: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "kind": "eseal_status",
        "equipmentReference": make_container_number("MSC", 9000 + i),
        "sealNumber": f"ES{i:06d}",
        "reportedAt": "2024-03-04T10:00:00Z",
        "UNLocationCode": "NLRTM",
        "status": "INTACT",
    }
    rec.update(over)
    return rec


def inspection(ref: str | None, **over: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "reference": ref,
        "container_number": None,
        "hub": "rotterdam",
        "kind": "scan",
        "inspected_at": "2024-03-05T09:30:00Z",
        "result": "not_found",
        "kg_found": 0.0,
    }
    rec.update(over)
    return rec


def seizure(**over: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "hub": "rotterdam",
        "seized_at": "2024-03-05T12:00:00Z",
        "drug": "cocaine",
        "kg": 38.1,
        "modus_operandi": "reefer_unit",
        "container_number": BOX2,
        "reference": None,
        "found_by": "consignee",
    }
    rec.update(over)
    return rec


def _jsonl(path: Path, records: list[Any]) -> Path:
    path.write_bytes(b"".join(json.dumps(r).encode() + b"\n" for r in records))
    return path


def _count(factory: sessionmaker[Session], model: Any) -> int:
    with factory() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def _reasons(factory: sessionmaker[Session], kind: str) -> list[str]:
    with factory() as s:
        return list(
            s.scalars(
                select(QuarantinedRecord.reason)
                .where(QuarantinedRecord.kind == kind)
                .order_by(QuarantinedRecord.id)
            )
        )


def _declare(factory: sessionmaker[Session], *decls: dict[str, Any]) -> dict[str, int]:
    with factory() as s:
        recon = declaration_store.ingest_declarations(
            session=s, actor=system_principal(), records=records_from_objects(list(decls)), source="t"
        )
        assert recon.stored == len(decls)
        s.commit()
        return {
            ref: id_
            for ref, id_ in s.execute(
                select(Declaration.reference, Declaration.id).where(
                    Declaration.reference.in_([d["reference"] for d in decls])
                )
            )
        }


# --- good records, duplicates, reconciliation ---------------------------------------------------------------


def test_access_log_file_stored_once_with_run_and_duplicates(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    records = [lookup(i) for i in range(5)]
    records.append(lookup(2))  # the same line twice in the file
    records.append(lookup(9, kind="gate_entry", container_number="", user="pass.12345", org="haulier:kramer"))
    records.append(
        lookup(
            10,
            kind="baggage_lookup",
            hub="schiphol",
            unlocode="NLAMS",
            facility="SPLCARGO",
            container_number="",
        )
    )
    path = _jsonl(tmp_path / "access-2024-03-04.jsonl", records)
    recon = ingest_file(session_factory=session_factory, actor=system_principal(), kind="access", path=path)
    assert (recon.received, recon.stored, recon.duplicates, recon.quarantined) == (8, 7, 1, 0)
    assert recon.balanced and recon.run_id is not None
    with session_factory() as s:
        rows = list(s.scalars(select(StaffLookup).order_by(StaffLookup.at)))
        assert len(rows) == 7 and {r.run_id for r in rows} == {recon.run_id}
        first = next(r for r in rows if r.username == "ectde.000")
        assert (first.org_code, first.hub, first.unlocode, first.facility_code, first.kind) == (
            "ECTDE",
            "rotterdam",
            "NLRTM",
            "ECTDE",
            "position",
        )
        assert first.container_number == make_container_number("MSC", 8000)
        assert first.at.tzinfo is not None
        gate = next(r for r in rows if r.kind == "gate_entry")
        assert gate.container_number is None and gate.org_code == "haulier:kramer"
        # every container looked up is known to the platform
        assert s.scalar(select(Container.id).where(Container.number == first.container_number))
        run = s.get(IngestRun, recon.run_id)
        assert run is not None and (run.kind, run.received, run.stored, run.duplicates) == ("access", 8, 7, 1)
    again = ingest_file(session_factory=session_factory, actor=system_principal(), kind="access", path=path)
    assert (again.received, again.stored, again.duplicates, again.quarantined) == (8, 0, 8, 0)
    assert _count(session_factory, StaffLookup) == 7


def test_eseal_status_goes_to_custody_telemetry(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    records = [eseal(1), eseal(2, status="BREACHED"), eseal(1), eseal(3, status="intact")]
    path = _jsonl(tmp_path / "eseal-2024-03-04.jsonl", records)
    recon = ingest_file(session_factory=session_factory, actor=system_principal(), kind="eseal", path=path)
    assert (recon.received, recon.stored, recon.duplicates, recon.quarantined) == (4, 3, 1, 0)
    with session_factory() as s:
        rows = {r.container_number: r for r in s.scalars(select(SealTelemetry))}
        intact, breached = rows[eseal(1)["equipmentReference"]], rows[eseal(2)["equipmentReference"]]
        assert (intact.kind, intact.status, intact.seal_number, intact.location) == (
            "eseal",
            "closed",
            "ES000001",
            "NLRTM",
        )
        assert breached.status == "tampered" and breached.payload["reported_status"] == "BREACHED"
        assert breached.at.isoformat() == "2024-03-04T10:00:00+00:00"
        # custody judges a breached seal like any other tampered reading
        alert = s.scalar(select(Alert).where(Alert.container_number == breached.container_number))
        assert alert is not None and alert.kind == "seal.door_opened"
    again = ingest_file(session_factory=session_factory, actor=system_principal(), kind="eseal", path=path)
    assert (again.stored, again.duplicates, again.quarantined) == (0, 4, 0)


def test_inspections_and_seizures_link_to_declaration_and_inspection(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    d1 = declaration(901, container_number=BOX)
    d2 = declaration(902, container_number=BOX2)
    ids = _declare(session_factory, d1, d2)
    insp = [
        inspection(d1["reference"], result="found", kg_found=22.5),  # container taken from the declaration
        inspection(
            d2["reference"], container_number=BOX2, kind="physical", inspected_at="2024-03-05T10:00:00Z"
        ),
        inspection(
            d2["reference"], container_number=BOX2, kind="physical", inspected_at="2024-03-05T10:00:00Z"
        ),
    ]
    path = _jsonl(tmp_path / "inspections-2024-03-05.jsonl", insp)
    recon = ingest_file(
        session_factory=session_factory, actor=system_principal(), kind="inspections", path=path
    )
    assert (recon.received, recon.stored, recon.duplicates, recon.quarantined) == (3, 2, 1, 0)
    seized = [
        seizure(
            container_number=BOX,
            reference=d1["reference"],
            found_by="inspection",
            seized_at="2024-03-05T09:30:00Z",
            kg=22.5,
            modus_operandi="rip_on",
        ),
        seizure(),  # consignee report
        seizure(),  # the same again
        seizure(
            hub="schiphol", container_number=None, modus_operandi="baggage", found_by="inspection", kg=25
        ),
    ]
    spath = _jsonl(tmp_path / "seizures-2024-03-05.jsonl", seized)
    srecon = ingest_file(
        session_factory=session_factory, actor=system_principal(), kind="seizures", path=spath
    )
    assert (srecon.received, srecon.stored, srecon.duplicates, srecon.quarantined) == (4, 3, 1, 0)
    with session_factory() as s:
        found = s.scalars(select(Inspection).where(Inspection.result == "found")).one()
        assert (found.declaration_id, found.container_number, found.hub, found.kg_found) == (
            ids[d1["reference"]],
            BOX,
            "rotterdam",
            22.5,
        )
        assert found.recorded_by == "system"
        by_box = {z.container_number: z for z in s.scalars(select(Seizure))}
        assert by_box[BOX].inspection_id == found.id and by_box[BOX].modus_operandi == "rip_on"
        assert by_box[BOX2].inspection_id is None and by_box[BOX2].kg == 38.1
        assert by_box[None].hub == "schiphol" and by_box[None].inspection_id is None
    # inspections never derive seizures of their own: seizures come from the seizures feed only
    assert _count(session_factory, Seizure) == 3
    again = ingest_file(
        session_factory=session_factory, actor=system_principal(), kind="seizures", path=spath
    )
    assert (again.stored, again.duplicates) == (0, 4)
    again = ingest_file(
        session_factory=session_factory, actor=system_principal(), kind="inspections", path=path
    )
    assert (again.stored, again.duplicates) == (0, 3)


def test_world_seizures_show_on_the_monitoring_figures(session: Session) -> None:
    from datetime import date

    from mainport.monitoring.queries import Filters, daily_counts

    recon = service.ingest_feed(
        session=session,
        actor=system_principal(),
        kind="seizures",
        records=records_from_objects([seizure(), seizure(hub="north_sea_canal", kg=12)]),
        source="s",
    )
    assert recon.stored == 2
    frame = daily_counts(
        session, Filters(date(2024, 3, 1), date(2024, 3, 10), ["rotterdam", "north_sea_canal"])
    )
    kg = frame[frame.metric == "kg"].set_index("hub")["value"].to_dict()
    assert kg == {"rotterdam": 38.1, "north_sea_canal": 12.0}


# --- each quarantine reason ---------------------------------------------------------------------------------

BAD = [
    ("access", lookup(1, at="2024-03-04T08:00:00"), "at: timestamp has no time zone"),
    ("access", lookup(1, at="yesterday"), "at: not an ISO 8601 timestamp"),
    ("access", lookup(1, at="2999-01-01T00:00:00Z"), "at: more than 1 day in the future"),
    ("access", {k: v for k, v in lookup(1).items() if k != "user"}, "user: required field missing"),
    ("access", lookup(1, org=""), "org: required field missing"),
    ("access", lookup(1, user="u" * 65), "user: longer than 64 characters"),
    ("access", lookup(1, hub="antwerp"), "hub: unknown hub"),
    ("access", lookup(1, unlocode="NLXXQ"), "unlocode: unknown UN/LOCODE"),
    ("access", lookup(1, unlocode="ROTTERDAM"), "unlocode: not a UN/LOCODE"),
    ("access", lookup(1, kind="download"), "kind: not one of status, position"),
    ("access", lookup(1, container_number="MSCU1234567"), "container_number: not a valid ISO 6346"),
    ("access", lookup(1, container_number=""), "container_number: required field missing"),
    ("access", lookup(1, user=42), "user: must be text"),
    ("eseal", eseal(1, status="OPEN"), "status: not one of INTACT, BREACHED"),
    ("eseal", eseal(1, equipmentReference="ABC"), "equipmentReference: not a valid ISO 6346"),
    ("eseal", eseal(1, equipmentReference=None), "equipmentReference: required field missing"),
    ("eseal", eseal(1, reportedAt="2024-03-04 10:00"), "reportedAt: timestamp has no time zone"),
    ("eseal", eseal(1, UNLocationCode="NLZZZ"), "UNLocationCode: unknown UN/LOCODE"),
    ("eseal", eseal(1, kind="door"), "kind: not an e-seal status record"),
    ("inspections", inspection(None), "reference: a reference or a container_number is required"),
    ("inspections", inspection(None, container_number=BOX, kind="sniff"), "kind: not one of scan, physical"),
    ("inspections", inspection(None, container_number=BOX, result="maybe"), "result: not one of found"),
    ("inspections", inspection(None, container_number=BOX, kg_found=-1), "kg_found: negative mass"),
    ("inspections", inspection(None, container_number=BOX, kg_found="lots"), "kg_found: not a number"),
    ("inspections", inspection(None, container_number=BOX, result="found"), "kg_found: a 'found' result"),
    ("inspections", inspection(None, container_number=BOX, kg_found=3), "kg_found: must be 0 when"),
    ("inspections", inspection(None, container_number=BOX, hub=""), "hub: required field missing"),
    ("inspections", inspection("NOSUCHREF"), "reference: no declaration on file"),
    ("inspections", inspection(None, container_number=BOX, inspected_at=None), "inspected_at: required"),
    ("seizures", seizure(kg=-2), "kg: negative mass"),
    ("seizures", seizure(kg=0), "kg: a seizure needs kg > 0"),
    ("seizures", seizure(kg=None), "kg: required field missing"),
    ("seizures", seizure(kg=float("inf")), "kg: not a number"),
    ("seizures", seizure(found_by="luck"), "found_by: not one of inspection"),
    ("seizures", seizure(drug="Coca Leaves!"), "drug: must be a lower-case code"),
    ("seizures", seizure(container_number="MSCU0000000"), "container_number: not a valid ISO 6346"),
    ("seizures", seizure(seized_at="2024-03-05"), "seized_at: timestamp has no time zone"),
    ("seizures", seizure(hub="hamburg"), "hub: unknown hub"),
    ("seizures", seizure(reference="NOSUCHREF"), "reference: no declaration on file"),
]


@pytest.mark.parametrize(("kind", "record", "reason"), BAD, ids=[f"{k}-{r[:28]}" for k, _, r in BAD])
def test_each_quarantine_reason(
    session_factory: sessionmaker[Session], tmp_path: Path, kind: str, record: dict[str, Any], reason: str
) -> None:
    text = json.dumps(record)  # inf is written as Infinity, which is not JSON: quarantined as such too
    path = tmp_path / f"{kind}.jsonl"
    path.write_text(text + "\n", encoding="utf-8")
    recon = ingest_file(session_factory=session_factory, actor=system_principal(), kind=kind, path=path)  # type: ignore[arg-type]
    assert (recon.received, recon.stored, recon.duplicates, recon.quarantined) == (1, 0, 0, 1)
    assert recon.balanced
    qkind = service.record_kind(kind)
    with session_factory() as s:
        q = s.scalars(select(QuarantinedRecord).where(QuarantinedRecord.kind == qkind)).one()
    if record.get("kg") == float("inf"):
        assert q.reason.startswith("invalid JSON")
    else:
        assert reason in q.reason, q.reason
        assert q.raw == text and q.locator == "line 1" and q.status == "open"


def test_container_of_another_declaration_is_refused(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    d = declaration(903, container_number=BOX)
    _declare(session_factory, d)
    path = _jsonl(tmp_path / "i.jsonl", [inspection(d["reference"], container_number=BOX2)])
    recon = ingest_file(
        session_factory=session_factory, actor=system_principal(), kind="inspections", path=path
    )
    assert recon.quarantined == 1
    assert _reasons(session_factory, "inspection") == [
        f"container_number: declaration {d['reference']} is for container {BOX} (value {BOX2!r})"
    ]


# --- malformed files ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["access", "eseal", "inspections", "seizures"])
def test_malformed_file_never_crashes(
    session_factory: sessionmaker[Session], tmp_path: Path, kind: str
) -> None:
    good = {
        "access": lookup(1),
        "eseal": eseal(1),
        "inspections": inspection(None, container_number=BOX),
        "seizures": seizure(),
    }[kind]
    body = (
        json.dumps(good).encode()
        + b"\n\n"  # a blank line is not a record
        + b"{not json\n"
        + b"[1, 2]\n"
        + json.dumps({**good, "hub": "rotterdam\xe9"}).encode().replace(b"\\u00e9", b"\xe9")  # Latin-1
        + b"\n"
        + json.dumps(good).encode()[:25]  # truncated at the end of the file
    )
    path = tmp_path / f"{kind}.jsonl"
    path.write_bytes(body)
    recon = ingest_file(session_factory=session_factory, actor=system_principal(), kind=kind, path=path)  # type: ignore[arg-type]
    assert (recon.received, recon.stored, recon.quarantined) == (5, 1, 4) and recon.balanced
    reasons = _reasons(session_factory, service.record_kind(kind))
    assert reasons[0].startswith("invalid JSON")
    assert reasons[1] == "not a JSON object (got list)"
    assert reasons[2].startswith("not valid UTF-8: byte 0xE9")
    assert reasons[3].startswith("invalid JSON")


def test_empty_and_garbage_files(session_factory: sessionmaker[Session], tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    recon = ingest_file(
        session_factory=session_factory, actor=system_principal(), kind="seizures", path=empty
    )
    assert (recon.received, recon.stored) == (0, 0) and recon.balanced
    binary = tmp_path / "binary.jsonl"
    binary.write_bytes(bytes(range(256)) * 4)
    recon = ingest_file(session_factory=session_factory, actor=system_principal(), kind="access", path=binary)
    assert recon.balanced and recon.stored == 0 and recon.quarantined >= 1
    array = tmp_path / "array.json"
    array.write_text(json.dumps([lookup(1), lookup(2)])[:-1], encoding="utf-8")  # truncated JSON array
    recon = ingest_file(session_factory=session_factory, actor=system_principal(), kind="access", path=array)
    assert (recon.received, recon.stored, recon.quarantined) == (3, 2, 1)
    assert "truncated JSON" in recon.problems[0].reason


# --- retry, permissions, CLI --------------------------------------------------------------------------------


def test_retry_a_corrected_feed_record(session: Session) -> None:
    actor = system_principal()
    recon = service.ingest_feed(
        session=session,
        actor=actor,
        kind="access",
        records=records_from_objects([lookup(3, hub="rdam")]),
        source="feed",
    )
    assert recon.quarantined == 1
    qid = recon.problems[0].quarantine_id
    assert qid is not None
    still = service.retry_quarantined(session=session, actor=actor, ids=[qid])
    assert still.quarantined == 1
    fixed = service.retry_quarantined(
        session=session, actor=actor, ids=[qid], fixed_raw=json.dumps(lookup(3))
    )
    assert fixed.stored == 1
    item = session.get(QuarantinedRecord, qid)
    assert item is not None and item.status == "replayed" and item.retries == 2
    assert session.scalar(select(StaffLookup.username).where(StaffLookup.source == "feed")) == "ectde.003"


@pytest.mark.parametrize(
    ("kind", "role", "org"),
    [
        ("inspections", Role.officer, OrgKind.terminal),
        ("seizures", Role.viewer, OrgKind.customs),
        ("access", Role.officer, OrgKind.terminal),
        ("access", Role.analyst, OrgKind.police),
        ("eseal", Role.officer, OrgKind.terminal),
    ],
)
def test_feed_permissions(
    session: Session, principal_factory: Any, kind: str, role: Role, org: OrgKind
) -> None:
    actor: Principal = principal_factory(role=role, kind=org)
    with pytest.raises(PermissionDenied):
        service.ingest_feed(session=session, actor=actor, kind=kind, records=[], source="x")
    with pytest.raises(PermissionDenied):
        runs.start_run(session=session, actor=actor, kind=kind, source="x")


def test_terminal_admin_may_submit_its_access_log(session: Session, principal_factory: Any) -> None:
    actor = principal_factory(role=Role.admin, kind=OrgKind.terminal)
    recon = service.ingest_feed(
        session=session, actor=actor, kind="access", records=records_from_objects([lookup(5)]), source="t"
    )
    assert recon.stored == 1


def test_ingest_cli_for_each_feed(
    session_factory: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli, "session_factory", lambda: session_factory)
    files = {
        "access": [lookup(1), lookup(1), lookup(2, hub="nowhere")],
        "eseal": [eseal(4)],
        "inspections": [inspection(None, container_number=BOX)],
        "seizures": [seizure(), seizure(kg=1)],
    }
    for kind, records in files.items():
        path = _jsonl(tmp_path / f"{kind}.jsonl", records)
        result = CliRunner().invoke(cli.app, [kind, str(path), "--json"])
        assert result.exit_code == 0, result.output
        out = json.loads(result.stdout)
        assert out["kind"] == kind and out["balanced"] and out["received"] == len(records)
    assert (out["stored"], out["duplicates"]) == (2, 0)
    result = CliRunner().invoke(cli.app, ["access", str(tmp_path / "access.jsonl")])
    shown = " ".join(result.stdout.split())  # Rich wraps long lines
    assert result.exit_code == 0 and "duplicates 2, quarantined 1" in shown
    assert "hub: unknown hub" in shown


def test_unknown_kind_is_refused(session: Session, tmp_path: Path) -> None:
    from mainport.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        service.ingest_feed(session=session, actor=system_principal(), kind="scans", records=[], source="x")
    with pytest.raises(ValidationFailed, match="unknown ingest kind 'scans'; known: declarations, events"):
        ingest_file(session_factory=None, actor=system_principal(), kind="scans", path=tmp_path)  # type: ignore[arg-type]


@pytest.mark.postgres
def test_postgres_feeds(pg_session: Session) -> None:
    actor = system_principal()
    d = declaration(990, container_number=BOX)
    assert (
        declaration_store.ingest_declarations(
            session=pg_session, actor=actor, records=records_from_objects([d]), source="pg"
        )
    ).stored == 1
    batches = {
        "access": [lookup(1), lookup(2), lookup(1), lookup(3, hub="x")],
        "eseal": [eseal(1), eseal(1), eseal(2, status="BREACHED")],
        "inspections": [inspection(d["reference"], result="found", kg_found=10.0), inspection("NOSUCHREF")],
        "seizures": [
            seizure(
                reference=d["reference"],
                container_number=None,
                found_by="inspection",
                kg=10.0,
                seized_at="2024-03-05T09:30:00Z",
            ),
            seizure(),
        ],
    }
    expected = {"access": (2, 1, 1), "eseal": (2, 1, 0), "inspections": (1, 0, 1), "seizures": (2, 0, 0)}
    for kind, records in batches.items():
        recon = service.ingest_feed(
            session=pg_session, actor=actor, kind=kind, records=records_from_objects(records), source="pg"
        )
        assert (recon.stored, recon.duplicates, recon.quarantined) == expected[kind], kind
        again = service.ingest_feed(
            session=pg_session, actor=actor, kind=kind, records=records_from_objects(records), source="pg"
        )
        assert again.stored == 0 and again.balanced
    linked = pg_session.scalar(select(Seizure).where(Seizure.container_number == BOX))
    assert linked is not None and linked.inspection_id is not None
