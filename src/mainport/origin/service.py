"""The origin-scan queue: an origin scan (with its declaration) is read before the vessel sails.

Each scan taken at the origin port gets a review row ranked by the single-scan check (imaging's check of the
image against the declared goods) and targeting's risk score of the declaration, combined as a noisy-or; the
analyst records a verdict (clear or suspicious) or asks the origin port to hold it (`origin.holds`).
Government intelligence users only; every read and change is audited. Callers own the transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from mainport.audit import service as audit
from mainport.cases import service as cases
from mainport.config import Settings
from mainport.database import utcnow
from mainport.errors import Conflict, NotFound, ValidationFailed
from mainport.identity.principal import Principal
from mainport.origin.models import OriginReview
from mainport.shipments.models import ContainerEvent, Declaration, Scan
from mainport.targeting.models import RiskScore

VERDICTS = ("clear", "suspicious")
# How far around the scan a declaration of the box counts as the one scanned.
DECLARATION_WINDOW = timedelta(days=30)

# (scan, declaration) -> (score 0..1, reasons), or None when the image cannot be checked.
SingleScanCheck = Callable[[Scan, Declaration | None], tuple[float, list[str]] | None]


def priority(single: float | None, target: float | None) -> float:
    """Noisy-or of the two signals: either alone can put a box at the top, both together more so."""
    s, t = min(max(single or 0.0, 0.0), 1.0), min(max(target or 0.0, 0.0), 1.0)
    return 1.0 - (1.0 - s) * (1.0 - t)


def declaration_of(session: Session, scan: Scan) -> Declaration | None:
    """The box's declaration loaded at the scan's port (else any) filed closest before the scan."""
    rows = session.scalars(
        select(Declaration)
        .where(
            Declaration.container_number == scan.container_number,
            Declaration.filed_at >= scan.scanned_at - DECLARATION_WINDOW,
            Declaration.filed_at <= scan.scanned_at + DECLARATION_WINDOW,
        )
        .order_by(Declaration.filed_at.desc())
    ).all()
    same_port = [d for d in rows if d.place_of_loading == scan.unlocode]
    found = same_port or list(rows)
    return found[0] if found else None


def target_score(session: Session, declaration_id: int | None) -> float | None:
    if declaration_id is None:
        return None
    return session.scalar(
        select(RiskScore.score)
        .where(RiskScore.declaration_id == declaration_id)
        .order_by(RiskScore.scored_at.desc(), RiskScore.id.desc())
        .limit(1)
    )


def load_by(session: Session, scan: Scan) -> datetime | None:
    """When the box is (to be) loaded at the origin port, from its own events."""
    return session.scalar(
        select(ContainerEvent.event_datetime)
        .where(
            ContainerEvent.equipment_reference == scan.container_number,
            ContainerEvent.type_code == "LOAD",
            ContainerEvent.unlocode == scan.unlocode,
            ContainerEvent.event_datetime >= scan.scanned_at - timedelta(days=2),
        )
        .order_by(ContainerEvent.event_datetime)
        .limit(1)
    )


def imaging_check(
    scan: Scan, declaration: Declaration | None, settings: Settings | None = None
) -> tuple[float, list[str]] | None:
    """Imaging's single-scan check of the stored image against the declared commodity."""
    from mainport.imaging import service as imaging
    from mainport.imaging.declared import check_declared
    from mainport.imaging.errors import ImagingError
    from mainport.imaging.store import image_store
    from mainport.reference.hs import commodity_group

    if declaration is None:
        return None
    commodity = imaging.cargo_class(commodity_group(declaration.hs_code))
    try:
        result = check_declared(imaging.load_scan(image_store(settings), scan), commodity)
    except (ImagingError, OSError) as exc:
        return 0.0, [f"not checked: {exc}"]
    return float(result.score), [f"declared {commodity}", *list(result.reasons)]


def enqueue(
    *,
    session: Session,
    actor: Principal,
    since: datetime | None = None,
    check: SingleScanCheck | None = None,
    settings: Settings | None = None,
) -> list[OriginReview]:
    """A review row for every origin scan that has none (safe to re-run)."""
    actor.require("intel:write")
    actor.require("imaging:read")
    if check is None:

        def check(scan: Scan, decl: Declaration | None) -> tuple[float, list[str]] | None:
            return imaging_check(scan, decl, settings)

    query = select(Scan).where(
        Scan.phase == "origin", Scan.id.not_in(select(OriginReview.scan_id).scalar_subquery())
    )
    if since is not None:
        query = query.where(Scan.received_at >= since - timedelta(minutes=10))
    added = []
    for scan in session.scalars(query.order_by(Scan.id)).all():
        decl = declaration_of(session, scan)
        checked = check(scan, decl)
        single, reasons = checked if checked is not None else (None, ["no declaration to check against"])
        target = target_score(session, decl.id if decl else None)
        review = OriginReview(
            scan_id=scan.id,
            declaration_id=decl.id if decl else None,
            container_number=scan.container_number,
            origin_unlocode=scan.unlocode,
            scanned_at=scan.scanned_at,
            load_by=load_by(session, scan),
            single_score=single,
            single_reasons=[str(r)[:200] for r in reasons][:10],
            target_score=target,
            priority=priority(single, target),
            status="queued",
        )
        session.add(review)
        added.append(review)
    session.flush()
    if added:
        audit.record(
            session=session,
            actor=actor,
            action="origin.enqueue",
            entity_type="origin_review",
            entity_id=",".join(str(r.id) for r in added[:50]),
            detail={"added": len(added)},
        )
    return added


def queue(
    *, session: Session, actor: Principal, status: str = "queued", limit: int = 200
) -> list[OriginReview]:
    """The queue, most urgent first: priority, then the earliest loading."""
    actor.require("intel:read")
    if status not in ("queued", "reviewed", "all"):
        raise ValidationFailed(f"status must be queued, reviewed or all (got {status!r})")
    query = select(OriginReview)
    if status != "all":
        query = query.where(OriginReview.status == status)
    rows = list(
        session.scalars(
            query.order_by(OriginReview.priority.desc(), OriginReview.load_by, OriginReview.id).limit(limit)
        )
    )
    audit.record(
        session=session,
        actor=actor,
        action="origin.queue_read",
        entity_type="origin_review",
        entity_id=status,
        detail={"rows": len(rows)},
    )
    return rows


def get_review(*, session: Session, actor: Principal, review_id: int, lock: bool = False) -> OriginReview:
    actor.require("intel:read")
    review = session.get(OriginReview, review_id, with_for_update=lock or None)
    if review is None:
        raise NotFound(f"origin review {review_id} not found")
    audit.record(
        session=session,
        actor=actor,
        action="origin.review_read",
        entity_type="origin_review",
        entity_id=str(review_id),
    )
    return review


def record_verdict(
    *, session: Session, actor: Principal, review_id: int, verdict: str, note: str = ""
) -> OriginReview:
    """clear (nothing to do) or suspicious (an alert that needs a physical check on arrival)."""
    actor.require("intel:write")
    if verdict not in VERDICTS:
        raise ValidationFailed(
            f"verdict must be one of {', '.join(VERDICTS)} (got {verdict!r}); ask a hold with a hold request"
        )
    review = get_review(session=session, actor=actor, review_id=review_id, lock=True)
    if review.status == "reviewed":
        raise Conflict(f"origin review {review_id} has a verdict already ({review.verdict})")
    review.status, review.verdict = "reviewed", verdict
    review.verdict_note = note.strip() or None
    review.reviewed_by, review.reviewed_at = actor.username, utcnow()
    if verdict == "suspicious":
        decl = session.get(Declaration, review.declaration_id) if review.declaration_id else None
        review.alert_id = cases.raise_alert(
            session=session,
            actor=actor,
            source="origin",
            kind="origin.suspicious_scan",
            container_number=review.container_number,
            declaration_id=review.declaration_id,
            hub=decl.hub if decl else None,
            severity=3,
            title=f"Origin scan of {review.container_number} at {review.origin_unlocode} read as suspicious",
            detail={"review": review.id, "scan": review.scan_id, "priority": round(review.priority, 3)},
        ).id
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="origin.verdict",
        entity_type="origin_review",
        entity_id=str(review.id),
        detail={"verdict": verdict},
    )
    return review


def mark_hold(session: Session, review: OriginReview, actor: Principal) -> None:
    """The review's verdict when the analyst asks the origin port to hold the box."""
    review.status, review.verdict = "reviewed", "hold"
    review.reviewed_by, review.reviewed_at = actor.username, utcnow()
