"""Inspection outcomes of compared pairs, and the self-calibrated alert threshold per scanner pairing.

Services (keyword-only ``session`` and ``actor``, ``imaging:read``/``imaging:write``, audited, never commit):

* :func:`record_outcome` - an inspection found a compared pair clean (or found something); a clean
  outcome re-estimates the pairing's threshold (:mod:`selfcal`).
* :func:`confirm_from_inspections` - the same from the platform's own inspection records: a physical
  inspection of the container after the arrival scan, result ``not_found`` (clean) or ``found``.
* :func:`alert_threshold` - the threshold a new comparison of a pairing is judged against.
* :func:`list_calibrations` - every pairing's threshold, for the API, the CLI and the scan page.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from mainport.audit import service as audit
from mainport.database import utcnow
from mainport.errors import NotFound, ValidationFailed
from mainport.identity.principal import Principal
from mainport.imaging import selfcal
from mainport.imaging.models import ScanComparison, ScanPairCalibration, ScanPairOutcome
from mainport.shipments.models import Inspection, Scan

OUTCOMES = ("clean", "found")
INSPECTION_WINDOW = timedelta(days=30)  # an inspection this long after the arrival scan still confirms it


def _pairing(session: Session, row: ScanComparison) -> tuple[str, str]:
    origin, arrival = session.get(Scan, row.origin_scan_id), session.get(Scan, row.arrival_scan_id)
    if origin is None or arrival is None:
        raise NotFound(f"scans of comparison {row.id} not found")
    return origin.scanner_id, arrival.scanner_id


def calibration_for(
    session: Session, origin_scanner: str, arrival_scanner: str, params_version: str
) -> ScanPairCalibration | None:
    return session.scalar(
        select(ScanPairCalibration).where(
            ScanPairCalibration.origin_scanner == origin_scanner,
            ScanPairCalibration.arrival_scanner == arrival_scanner,
            ScanPairCalibration.params_version == params_version,
        )
    )


def alert_threshold(
    *, session: Session, origin_scanner: str, arrival_scanner: str, params_version: str, default: float
) -> tuple[float, int]:
    """(threshold, confirmed-clean pairs behind it) for a pairing; a pairing without any confirmed-clean
    pair uses ``default`` (the configured threshold)."""
    cal = calibration_for(session, origin_scanner, arrival_scanner, params_version)
    if cal is None or cal.n_clean == 0:
        return float(default), 0
    return float(cal.threshold), int(cal.n_clean)


def _update(
    session: Session, actor: Principal, row: ScanComparison, score: float, default: float
) -> ScanPairCalibration:
    o_sc, a_sc = _pairing(session, row)
    cal = calibration_for(session, o_sc, a_sc, row.params_version)
    if cal is None:
        cal = ScanPairCalibration(
            origin_scanner=o_sc[:64],
            arrival_scanner=a_sc[:64],
            params_version=row.params_version,
            target_fa=selfcal.TARGET_FA,
            prior_threshold=float(default),
            threshold=float(default),
            n_clean=0,
            clean_scores=[],
        )
        session.add(cal)
    before = float(cal.threshold)
    scores = [*list(cal.clean_scores or []), round(float(score), 6)][-selfcal.KEEP_SCORES :]
    cal.clean_scores = scores
    cal.n_clean = int(cal.n_clean or 0) + 1
    cal.threshold = selfcal.threshold(scores, cal.target_fa, cal.prior_threshold)
    cal.updated_at = utcnow()
    cal.updated_by = actor.username[:64]
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="scan.calibration.update",
        entity_type="scan_pair_calibration",
        entity_id=str(cal.id),
        detail={
            "origin_scanner": o_sc,
            "arrival_scanner": a_sc,
            "params_version": row.params_version,
            "n_clean": cal.n_clean,
            "threshold_before": round(before, 4),
            "threshold": round(float(cal.threshold), 4),
            "comparison_id": row.id,
        },
    )
    return cal


def record_outcome(
    *,
    session: Session,
    actor: Principal,
    comparison_id: int,
    outcome: str,
    inspection_id: int | None = None,
    note: str = "",
    default_threshold: float = 0.5,
) -> ScanPairOutcome:
    """Store what an inspection found for a compared pair (once per pair); ``clean`` updates the
    pairing's threshold. A second outcome for the same pair is refused with the first one's details."""
    actor.require("imaging:write")
    if outcome not in OUTCOMES:
        raise ValidationFailed(f"outcome must be 'clean' or 'found', got {outcome!r}")
    row = session.get(ScanComparison, comparison_id)
    if row is None:
        raise NotFound(f"comparison {comparison_id} not found")
    if row.status != "done" or row.score is None:
        raise ValidationFailed(
            f"comparison {comparison_id} has no score ({row.status}): nothing to calibrate"
        )
    if inspection_id is not None and session.get(Inspection, inspection_id) is None:
        raise NotFound(f"inspection {inspection_id} not found")
    existing = session.scalar(select(ScanPairOutcome).where(ScanPairOutcome.comparison_id == comparison_id))
    if existing is not None:
        raise ValidationFailed(
            f"comparison {comparison_id} already has outcome {existing.outcome!r} "
            f"(recorded by {existing.recorded_by} at {existing.recorded_at:%Y-%m-%d %H:%M})"
        )
    rec = ScanPairOutcome(
        comparison_id=comparison_id,
        outcome=outcome,
        inspection_id=inspection_id,
        recorded_by=actor.username[:64],
        note=note,
    )
    session.add(rec)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="scan.outcome",
        entity_type="scan_comparison",
        entity_id=str(comparison_id),
        detail={"outcome": outcome, "inspection_id": inspection_id, "score": row.score},
    )
    if outcome == "clean":
        _update(session, actor, row, float(row.score), default_threshold)
    return rec


def confirm_from_inspections(
    *, session: Session, actor: Principal, default_threshold: float = 0.5
) -> list[ScanPairOutcome]:
    """Outcomes from the inspection records: for each compared pair without an outcome, the first
    physical inspection of its container within 30 days after the arrival scan (``not_found`` = clean,
    ``found`` = found). Safe to re-run."""
    actor.require("imaging:write")
    done = select(ScanPairOutcome.comparison_id)
    rows = list(
        session.scalars(
            select(ScanComparison)
            .where(ScanComparison.status == "done", ScanComparison.id.not_in(done))
            .order_by(ScanComparison.id)
        )
    )
    out = []
    for row in rows:
        arrival = session.get(Scan, row.arrival_scan_id)
        if arrival is None:
            continue
        insp = session.scalar(
            select(Inspection)
            .where(
                Inspection.container_number == row.container_number,
                Inspection.kind == "physical",
                Inspection.result.in_(("found", "not_found")),
                Inspection.inspected_at >= arrival.scanned_at,
                Inspection.inspected_at <= arrival.scanned_at + INSPECTION_WINDOW,
            )
            .order_by(Inspection.inspected_at)
            .limit(1)
        )
        if insp is None:
            continue
        out.append(
            record_outcome(
                session=session,
                actor=actor,
                comparison_id=row.id,
                outcome="clean" if insp.result == "not_found" else "found",
                inspection_id=insp.id,
                note="from inspection record",
                default_threshold=default_threshold,
            )
        )
    return out


def list_calibrations(*, session: Session, actor: Principal) -> list[ScanPairCalibration]:
    actor.require("imaging:read")
    rows = list(
        session.scalars(
            select(ScanPairCalibration).order_by(
                ScanPairCalibration.origin_scanner,
                ScanPairCalibration.arrival_scanner,
                ScanPairCalibration.id,
            )
        )
    )
    audit.record(
        session=session,
        actor=actor,
        action="scan.calibration.list",
        entity_type="scan_pair_calibration",
        entity_id="*",
        detail={"pairings": len(rows)},
    )
    return rows
