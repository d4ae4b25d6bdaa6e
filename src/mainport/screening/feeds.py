"""Screening feeds: the employers' staff lists, the certificates issuers report, the port bans - JSON
Lines through ingest (`mainport ingest screening_people FILE`), CSV through `mainport screening import`; every
record stored or quarantined with its reason, counts reconciled.

A person is named by the employer's `reference` (hashed on arrival: only the alias is kept). A certificate or
ban naming a reference nobody registered is refused with that reason. The permission is checked by the
services (`screening:write`; the platform itself may), so the feeds declare none of their own."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mainport.errors import MainportError, NotFound
from mainport.identity.principal import Principal
from mainport.ingest import checks
from mainport.ingest.registry import Feed, Stored, register
from mainport.screening import service
from mainport.screening.models import Person

_FAR = 100 * 365  # days: a validity date this far ahead is a typo


def _moment(d: dict[str, Any], name: str, *, required: bool = True) -> datetime | None:
    value = d.get(name)
    if value is None or value == "":
        if required:
            raise checks.Invalid(f"{name}: required field missing or empty")
        return None
    return checks.timestamp(name, value)


def person(d: dict[str, Any], *, now: datetime) -> dict[str, Any]:
    """reference, employer, and optionally hub, role, account, gate_id, name."""
    ref = checks.required_text(d, "reference", 200)
    hub = checks.text(d, "hub", 40)
    return {
        "reference": ref,
        "employer_org": checks.required_text(d, "employer", 32),
        "hub": hub.lower() if hub else None,
        "role_code": checks.code(d, "role"),
        "account": checks.text(d, "account", 64),
        "gate_id": checks.text(d, "gate_id", 64),
        "full_name": checks.text(d, "name", 200),
    }


def certificate(d: dict[str, Any], *, now: datetime) -> dict[str, Any]:
    """reference, kind (port_vog | vgb | isps), issuer, issued_at, valid_until, and optionally number."""
    issued = _moment(d, "issued_at")
    until = _moment(d, "valid_until")
    assert issued is not None and until is not None
    if until <= issued:
        raise checks.Invalid(f"valid_until: not after issued_at (value {d.get('valid_until')!r})")
    if (until - now).days > _FAR:
        raise checks.Invalid(f"valid_until: more than 100 years ahead (value {d.get('valid_until')!r})")
    number = checks.text(d, "number", 64) or ""
    ref = checks.required_text(d, "reference", 200)
    kind = checks.enum(d, "kind", service.CERTIFICATE_KINDS)
    return {
        "key": checks.digest(
            "cert", service.key_hash(ref), kind, number, issued.isoformat(), until.isoformat()
        ),
        "reference": ref,
        "kind": kind,
        "issuer": checks.required_text(d, "issuer", 64),
        "number": number,
        "issued_at": issued,
        "valid_until": until,
    }


def ban(d: dict[str, Any], *, now: datetime) -> dict[str, Any]:
    """reference, reason, starts_at, and optionally ends_at and scope (a hub, default all)."""
    starts = _moment(d, "starts_at")
    ends = _moment(d, "ends_at", required=False)
    assert starts is not None
    if ends is not None and ends <= starts:
        raise checks.Invalid(f"ends_at: not after starts_at (value {d.get('ends_at')!r})")
    ref = checks.required_text(d, "reference", 200)
    scope = (checks.text(d, "scope", 40) or "all").lower()
    reason = checks.required_text(d, "reason", 300)
    return {
        "key": checks.digest("ban", service.key_hash(ref), scope, starts.isoformat(), reason),
        "reference": ref,
        "reason": reason,
        "scope": scope,
        "starts_at": starts,
        "ends_at": ends,
    }


def _alias(session: Session, reference: str) -> str | None:
    return session.scalar(select(Person.alias).where(Person.key_hash == service.key_hash(reference)))


def _each(rows: Sequence[dict[str, Any]], one: Any) -> Stored:
    out = Stored()
    for i, row in enumerate(rows):
        try:
            new = one(row)
        except MainportError as exc:  # a refusal of this record (no such person, not your staff, ...)
            out.refused[i] = exc.message[:300]
            continue
        if new:
            out.stored += 1
        else:
            out.duplicates += 1
    return out


def _store_people(
    *, session: Session, actor: Principal, rows: Sequence[dict[str, Any]], source: str, run_id: int | None
) -> Stored:
    def one(row: dict[str, Any]) -> bool:
        with session.begin_nested():
            _p, created = service.register_person(session=session, actor=actor, **row)
        return created

    return _each(rows, one)


def _person_store(call: Any) -> Any:
    """A feed store for records that name a person by reference: `call(session, actor, alias, row, source)`
    returns (object, new); a reference nobody registered is refused with that reason."""

    def store(
        *, session: Session, actor: Principal, rows: Sequence[dict[str, Any]], source: str, run_id: int | None
    ) -> Stored:
        def one(row: dict[str, Any]) -> bool:
            alias = _alias(session, row["reference"])
            if alias is None:
                raise NotFound(
                    "reference: no person registered with this reference; send the staff list first"
                )
            fields = {k: v for k, v in row.items() if k != "reference"}
            with session.begin_nested():
                _obj, new = call(session=session, actor=actor, alias=alias, source=source, **fields)
            return bool(new)

        return _each(rows, one)

    return store


_store_certificates = _person_store(service.record_certificate)
_store_bans = _person_store(service.issue_ban)


PEOPLE = register(
    Feed(
        kind="screening_people",
        record="screening_person",
        permissions=(),
        validate=person,
        identity=lambda row: service.key_hash(row["reference"]),
        store=_store_people,
        help="Ingest a staff list (reference, employer, role, account, gate_id, name) for screening.",
        containers=lambda row: None,
    )
)
CERTIFICATES = register(
    Feed(
        kind="screening_certificates",
        record="screening_certificate",
        permissions=(),
        validate=certificate,
        identity=lambda row: row["key"],
        store=_store_certificates,
        help="Ingest certificates (port VOG, VGB, ISPS) with issue and expiry dates.",
        containers=lambda row: None,
    )
)
BANS = register(
    Feed(
        kind="screening_bans",
        record="screening_ban",
        permissions=(),
        validate=ban,
        identity=lambda row: row["key"],
        store=_store_bans,
        help="Ingest port bans (reference, reason, scope, starts_at, ends_at).",
        containers=lambda row: None,
    )
)
