from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mainport.database import Base, utcnow
from mainport.database.columns import hub_code


class CustodyPlan(Base):
    """A container selected for control: discharge -> guarded area of its terminal -> inspection -> end."""

    __tablename__ = "custody_plan"
    __table_args__ = (Index("ix_custody_plan_facility_state", "facility_code", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    container_number: Mapped[str] = mapped_column(String(11), index=True)
    declaration_id: Mapped[int | None] = mapped_column(ForeignKey("declaration.id"))
    hub: Mapped[str | None] = mapped_column(hub_code())
    facility_code: Mapped[str] = mapped_column(String(16))  # the terminal (SMDG code) that holds the box
    guarded_area: Mapped[str] = mapped_column(String(64))  # location name of the terminal's guarded area
    # Why it was selected is intelligence: never shown to terminals.
    source: Mapped[str] = mapped_column(String(32))  # targeting | imaging | manual
    reason: Mapped[str] = mapped_column(Text, default="")
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alert.id"))
    # planned | discharged | guarded | inspecting | released | seized | cancelled (custody.plan for the table)
    state: Mapped[str] = mapped_column(String(16), default="planned")
    location: Mapped[str | None] = mapped_column(String(64))  # last known place (yard block, guarded area)
    location_since: Mapped[datetime | None]
    opened_by: Mapped[str] = mapped_column(String(64))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    # Head of the plan's hash chain, so that cutting entries off the end is noticed.
    head_seq: Mapped[int] = mapped_column(default=0)
    head_hash: Mapped[str] = mapped_column(String(64), default="0" * 64)

    log: Mapped[list[CustodyLogEntry]] = relationship(
        back_populates="plan", order_by="CustodyLogEntry.seq", lazy="selectin"
    )


class CustodyLogEntry(Base):
    """One step in a plan's append-only, hash-chained custody log: who, when, where, which seals."""

    __tablename__ = "custody_log_entry"
    __table_args__ = (UniqueConstraint("plan_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("custody_plan.id"), index=True)
    seq: Mapped[int]
    step: Mapped[str] = mapped_column(String(32))  # selected, discharged, moved, guarded, gate_out, ...
    at: Mapped[datetime]  # when it happened (event time)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    actor_org: Mapped[str] = mapped_column(String(32))
    location: Mapped[str | None] = mapped_column(String(64))
    seals: Mapped[list[str]] = mapped_column(default=list)
    event_ref: Mapped[str | None] = mapped_column(String(100), index=True)  # DCSA eventID, if from an event
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    plan: Mapped[CustodyPlan] = relationship(back_populates="log")


class ReleaseKey(Base):
    """An Ed25519 signing key for release tokens; rotated keys stay for verification until retired."""

    __tablename__ = "release_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(32), unique=True)
    public_key: Mapped[str] = mapped_column(String(64))  # raw, base64url
    # PKCS#8 PEM encrypted with a key derived from the application secret; never logged or returned.
    private_key_enc: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    active: Mapped[bool] = mapped_column(default=True)
    retired_at: Mapped[datetime | None]


class ReleaseRight(Base):
    """The right to collect one container, issued by the line and passed down a chain of nominations."""

    __tablename__ = "release_right"
    __table_args__ = (Index("ix_release_right_container_status", "container_number", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Random 128-bit id carried in the token (its jti): never guessable, never derived from the container.
    token_id: Mapped[str] = mapped_column(String(32), unique=True)
    container_number: Mapped[str] = mapped_column(String(11))
    facility_code: Mapped[str] = mapped_column(String(16))  # the terminal where it may be collected
    issuer_org: Mapped[str] = mapped_column(String(32))  # the shipping line
    holder_org: Mapped[str] = mapped_column(String(32))  # who may nominate next
    holder_kind: Mapped[str] = mapped_column(String(16))  # release_party | haulier | driver
    carrier_id: Mapped[str | None] = mapped_column(String(32))  # the haulier that will collect
    driver_id: Mapped[str | None] = mapped_column(String(64))
    not_before: Mapped[datetime]
    expires_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | used | revoked
    kid: Mapped[str | None] = mapped_column(String(32))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_by: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(String(64))
    revoke_reason: Mapped[str | None] = mapped_column(String(200))

    nominations: Mapped[list[Nomination]] = relationship(order_by="Nomination.seq", lazy="selectin")


class Nomination(Base):
    __tablename__ = "release_nomination"
    __table_args__ = (UniqueConstraint("right_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    right_id: Mapped[int] = mapped_column(ForeignKey("release_right.id"), index=True)
    seq: Mapped[int]
    from_org: Mapped[str] = mapped_column(String(32))
    to_party: Mapped[str] = mapped_column(String(64))  # organisation code, or the driver id
    to_kind: Mapped[str] = mapped_column(String(16))  # release_party | haulier | driver
    at: Mapped[datetime] = mapped_column(default=utcnow)
    by: Mapped[str] = mapped_column(String(64))


class GateDecision(Base):
    """Every answer the gate API gave: who asked, about what, yes or no, and why.

    `presentation_key`: the gate's Idempotency-Key, so that a retry of a presentation whose answer was
    lost gets the stored decision. `alert_id`: the alert a refusal that is a fraud pattern raised; a row
    that should have one and has none is raised late (`custody.gate.raise_pending_alerts`)."""

    __tablename__ = "gate_decision"
    __table_args__ = (
        Index("ix_gate_decision_container_at", "container_number", "at"),
        Index("uq_gate_decision_presentation", "asked_by", "presentation_key", unique=True),
        Index(
            "ix_gate_decision_alert_pending",
            "at",
            postgresql_where=text("alert_id IS NULL AND NOT allowed"),
            sqlite_where=text("alert_id IS NULL AND NOT allowed"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    facility_code: Mapped[str | None] = mapped_column(String(16))
    asked_by: Mapped[str] = mapped_column(String(64))
    container_number: Mapped[str] = mapped_column(String(11))
    carrier_id: Mapped[str] = mapped_column(String(32))
    driver_id: Mapped[str] = mapped_column(String(64))
    right_id: Mapped[int | None] = mapped_column(ForeignKey("release_right.id"))
    allowed: Mapped[bool]
    reason: Mapped[str] = mapped_column(String(32))
    presentation_key: Mapped[str | None] = mapped_column(String(64))
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alert.id"))


class RightLookup(Base):
    """A party looked up release rights; many look-ups by one party is a fraud pattern (scouting)."""

    __tablename__ = "release_lookup"
    __table_args__ = (Index("ix_release_lookup_org_at", "org_code", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_code: Mapped[str] = mapped_column(String(32))
    username: Mapped[str] = mapped_column(String(64))
    container_number: Mapped[str] = mapped_column(String(11))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class SealTelemetry(Base):
    """A smart-seal / container IoT reading: door or e-seal status, or a location update."""

    __tablename__ = "seal_telemetry"
    __table_args__ = (Index("ix_seal_telemetry_container_at", "container_number", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reading_id: Mapped[str] = mapped_column(String(100), unique=True)
    container_number: Mapped[str] = mapped_column(String(11))
    device_id: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # door | eseal | location
    status: Mapped[str | None] = mapped_column(String(16))  # open | closed | tampered (door / e-seal)
    seal_number: Mapped[str | None] = mapped_column(String(32))
    at: Mapped[datetime]
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    location: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class TerminalInstruction(Base):
    """An instruction sent to a terminal's system: discharge this box straight to the guarded area.

    An outbox row: written in the transaction that opens the plan, sent afterwards through the configured
    TerminalGateway (custody.terminal), acknowledged by the terminal with its `reference` (random, so a
    terminal can only acknowledge what it was sent). Never says why the box was selected."""

    __tablename__ = "custody_terminal_instruction"
    __table_args__ = (
        UniqueConstraint("plan_id", "kind"),
        Index("ix_custody_terminal_instruction_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("custody_plan.id"))
    kind: Mapped[str] = mapped_column(String(32), default="discharge_to_guarded_area")
    container_number: Mapped[str] = mapped_column(String(11))
    facility_code: Mapped[str] = mapped_column(String(16))
    guarded_area: Mapped[str] = mapped_column(String(64))
    vessel_imo: Mapped[str | None] = mapped_column(String(7))
    voyage_number: Mapped[str | None] = mapped_column(String(50))
    expected_at: Mapped[datetime | None]  # estimated discharge (or arrival) when the plan opened
    # pending (not yet sent) | sent | failed (retried) | acknowledged | refused (by the terminal)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    gateway: Mapped[str | None] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    answer_note: Mapped[str | None] = mapped_column(String(300))


class AccessSuspension(Base):
    """Someone the gate must refuse (a driver or pass id), and why: a lapsed screening or a port ban.

    Written by the screening domain (`custody.suspensions`); read by every gate check, so a change takes
    effect on the next presentation. In force while `since <= now < until` (no `until`: open-ended) and not
    lifted."""

    __tablename__ = "access_suspension"
    __table_args__ = (Index("ix_access_suspension_subject", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(64))  # the driver id named in release rights / the pass id
    reason: Mapped[str] = mapped_column(String(32))  # screening_lapsed | port_ban
    ref: Mapped[str] = mapped_column(String(64))  # what caused it, e.g. "ban:12" or "person:7"
    since: Mapped[datetime]
    until: Mapped[datetime | None]
    lifted_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
