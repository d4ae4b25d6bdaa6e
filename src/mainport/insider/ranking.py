"""The insider ranking (the DB edges of `insider.analytics`): run it over a window of look-ups, keep the
ranked list with its evidence (`InsiderScore`), raise alerts over the threshold, and show it - to the police
(everyone) and to security officers (a port authority its hub, a terminal its own staff) only.

What happened to the boxes comes from the product's own records: inspections (selected; found = seized),
seizures naming a container, e-seal readings that were tampered (broken seal); never the world's truth."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from mainport.audit import service as audit
from mainport.cases import service as cases
from mainport.custody.models import SealTelemetry
from mainport.database import chunks, utcnow
from mainport.errors import NotFound, ValidationFailed
from mainport.identity import policy
from mainport.identity.principal import Principal
from mainport.insider import analytics
from mainport.insider.models import InsiderScore, StaffLookup
from mainport.screening.models import Person
from mainport.shipments.models import Inspection, Seizure

WINDOW = timedelta(days=42)
THRESHOLD = (
    12.0  # a score over this flags the person (alert, and targeting's "looked up by a flagged insider")
)
LOOKUP_COLUMNS = (
    "username",
    "org_code",
    "facility_code",
    "hub",
    "container_number",
    "kind",
    "at",
    "device",
    "place",
)


def _require(actor: Principal, permission: str) -> None:
    if not actor.is_system:
        actor.require(permission)


def lookups_frame(session: Session, since: datetime, until: datetime) -> pd.DataFrame:
    rows = session.execute(
        select(*(getattr(StaffLookup, c) for c in LOOKUP_COLUMNS)).where(
            StaffLookup.at >= since, StaffLookup.at < until
        )
    ).all()
    frame = pd.DataFrame(rows, columns=list(LOOKUP_COLUMNS))
    frame = frame.rename(
        columns={
            "username": "user",
            "org_code": "org",
            "facility_code": "facility",
            "container_number": "container",
        }
    )
    # Release-code look-ups by hauliers collecting a box are their work, not staff behaviour.
    frame = frame[~frame["org"].astype(str).str.startswith("haulier")]
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    return frame.reset_index(drop=True)


def outcomes_frame(session: Session, containers: list[str], since: datetime) -> pd.DataFrame:
    flags: list[tuple[str, str]] = []
    for chunk in chunks(sorted(set(containers))):
        for number, result in session.execute(
            select(Inspection.container_number, Inspection.result).where(
                Inspection.container_number.in_(chunk), Inspection.inspected_at >= since
            )
        ):
            flags.append((str(number), "selected"))
            if result == "found":
                flags.append((str(number), "seized"))
        flags.extend(
            (n, "seized")
            for n in session.scalars(
                select(Seizure.container_number).where(
                    Seizure.container_number.in_(chunk), Seizure.seized_at >= since
                )
            )
            if n
        )
        flags.extend(
            (n, "seal_broken")
            for n in session.scalars(
                select(SealTelemetry.container_number).where(
                    SealTelemetry.container_number.in_(chunk),
                    SealTelemetry.status == "tampered",
                    SealTelemetry.at >= since,
                )
            )
        )
    return pd.DataFrame(flags, columns=["container", "flag"]).drop_duplicates()


@dataclass
class RunResult:
    people: int
    flagged: int
    alerts: int
    window_from: datetime
    window_to: datetime


def run_ranking(*, session: Session, actor: Principal, now: datetime | None = None) -> RunResult:
    """Rank every member of staff over the last WINDOW of look-ups; replace the stored list; alert."""
    _require(actor, "screening:approve")
    now = now or utcnow()
    since = now - WINDOW
    frame = lookups_frame(session, since, now)
    outcomes = outcomes_frame(session, [c for c in frame["container"].dropna().unique() if c], since)
    ranking = analytics.rank(frame, outcomes)
    session.execute(delete(InsiderScore))
    flagged = alerts = 0
    rows: list[dict[str, Any]] = ranking.people.to_dict("records")  # type: ignore[assignment]
    for row in rows:
        user = str(row["user"])
        score = float(row["score"])
        evidence = [
            {
                "signal": e.signal,
                "observed": e.observed,
                "expected": round(e.expected, 3),
                "surprise": round(e.surprise, 2),
                "text": e.text,
            }
            for e in ranking.evidence.get(user, [])
        ]
        is_flagged = score >= THRESHOLD
        session.add(
            InsiderScore(
                username=user,
                org_code=str(row["org"]),
                hub=str(row["hub"]),
                lookups=int(row["lookups"]),
                score=score,
                rank=int(row["rank"]),
                flagged=is_flagged,
                evidence=evidence,
                window_from=since,
                window_to=now,
            )
        )
        if is_flagged:
            flagged += 1
            cases.raise_alert(
                session=session,
                actor=actor,
                source="insider",
                kind="insider.risk",
                hub=str(row["hub"]),
                severity=3 if score < 2 * THRESHOLD else 4,
                title=f"insider risk: staff member {_shown(session, user)} ({row['org']}) scores {score:.1f}",
                detail={"user": user, "score": score, "rank": int(row["rank"]), "evidence": evidence[:4]},
                dedup_key=user,
            )
            alerts += 1
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="insider.ranking.run",
        entity_type="insider_score",
        entity_id=f"{since.isoformat()}..{now.isoformat()}",
        detail={"people": len(ranking.people), "flagged": flagged, "outcomes": len(outcomes)},
    )
    return RunResult(len(ranking.people), flagged, alerts, since, now)


def _shown(session: Session, user: str) -> str:
    """How a person is shown: their screening alias where the register knows the account."""
    alias = session.scalar(select(Person.alias).where(Person.account == user))
    return alias or user


def _scope(actor: Principal) -> Any:
    return policy.people(actor, InsiderScore.org_code, InsiderScore.hub)


@dataclass
class Ranked:
    score: InsiderScore
    shown: str  # alias or account


def ranked_list(
    *,
    session: Session,
    actor: Principal,
    org: str | None = None,
    limit: int = 100,
    flagged_only: bool = False,
) -> list[Ranked]:
    """The ranked list the actor may see, highest score first (audited)."""
    _require(actor, "screening:read")
    if not 1 <= limit <= 1000:
        raise ValidationFailed("limit must be 1..1000")
    q = select(InsiderScore).where(_scope(actor))
    if org:
        q = q.where(InsiderScore.org_code == org.strip())
    if flagged_only:
        q = q.where(InsiderScore.flagged.is_(True))
    scores = list(session.scalars(q.order_by(InsiderScore.score.desc(), InsiderScore.rank).limit(limit)))
    aliases = (
        dict(
            session.execute(
                select(Person.account, Person.alias).where(Person.account.in_([s.username for s in scores]))
            ).all()
        )
        if scores
        else {}
    )
    audit.record(
        session=session,
        actor=actor,
        action="insider.ranking.read",
        entity_type="insider_score",
        entity_id=(org or "-")[:200],
        detail={"returned": len(scores), "flagged_only": flagged_only},
    )
    return [Ranked(s, aliases.get(s.username) or s.username) for s in scores]


@dataclass
class DrillDown:
    ranked: Ranked
    lookups: list[StaffLookup]  # the person's look-ups in the window, newest first
    flagged_boxes: dict[str, list[str]]  # container -> what happened to it (seized, selected, ...)


def drill_down(*, session: Session, actor: Principal, user: str, limit: int = 300) -> DrillDown:
    """One person's score, evidence and the look-ups behind it (audited)."""
    _require(actor, "screening:read")
    user = user.strip()
    account = session.scalar(select(Person.account).where(Person.alias == user.upper())) or user
    score = session.scalar(select(InsiderScore).where(InsiderScore.username == account, _scope(actor)))
    if score is None:
        raise NotFound(f"no ranked person {user!r}")
    lookups = list(
        session.scalars(
            select(StaffLookup)
            .where(StaffLookup.username == account, StaffLookup.at >= score.window_from)
            .order_by(StaffLookup.at.desc())
            .limit(limit)
        )
    )
    outcomes = outcomes_frame(
        session, [lk.container_number for lk in lookups if lk.container_number], score.window_from
    )
    boxes: dict[str, list[str]] = {}
    for number, flag in outcomes.itertuples(index=False):
        boxes.setdefault(str(number), []).append(str(flag))
    audit.record(
        session=session,
        actor=actor,
        action="insider.ranking.drill_down",
        entity_type="insider_score",
        entity_id=_shown(session, account),
        detail={"lookups": len(lookups), "flagged_boxes": len(boxes)},
    )
    return DrillDown(Ranked(score, _shown(session, account)), lookups, boxes)


def flagged_lookups(session: Session, containers: list[str], *, since: datetime) -> dict[str, float]:
    """For targeting: container -> the highest score of a flagged insider who looked it up since `since`.

    Says nothing about who: a declaration's reason reads "looked up by a flagged insider"."""
    flagged = dict(
        session.execute(select(InsiderScore.username, InsiderScore.score).where(InsiderScore.flagged)).all()
    )
    if not flagged or not containers:
        return {}
    out: dict[str, float] = {}
    for chunk in chunks(sorted(set(containers))):
        for number, user in session.execute(
            select(StaffLookup.container_number, StaffLookup.username).where(
                StaffLookup.container_number.in_(chunk),
                StaffLookup.at >= since,
                StaffLookup.username.in_(list(flagged)),
            )
        ):
            if number:
                out[number] = max(out.get(number, 0.0), float(flagged[user]))
    return out
