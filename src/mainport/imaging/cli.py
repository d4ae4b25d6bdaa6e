"""Thin Typer CLI (mounted by the lead as ``mainport scan ...``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from mainport.identity.principal import Principal

app = typer.Typer(help="X-ray scan comparison (origin vs arrival).", no_args_is_help=True)


@app.command("compare")
def compare_cmd(
    origin: Annotated[Path, typer.Argument(help="origin scan (DICOS, PNG/TIFF/NPY + sidecar)")],
    dest: Annotated[Path, typer.Argument(help="arrival scan")],
    as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
    overlay: Annotated[Path | None, typer.Option("--overlay", help="write the analyst overlay PNG")] = None,
) -> None:
    """Compare two scans of the same container."""
    from mainport.imaging.compare import compare
    from mainport.imaging.errors import ImagingError
    from mainport.imaging.io import read_scan
    from mainport.imaging.overlay import save_overlay

    try:
        c = compare(read_scan(origin), read_scan(dest))
    except ImagingError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if overlay is not None:
        save_overlay(c, overlay)
    if as_json:
        typer.echo(json.dumps(c.to_json(), indent=2))
    else:
        typer.echo(f"score {c.score:.3f} ({len(c.regions)} region(s), flipped={c.flipped})")
        for r in c.regions:
            typer.echo(
                f"  {r.sign:7s} ~{r.mass_kg:.0f} kg  arrival box {r.box_arrival}  origin box {r.box_origin}"
            )


@app.command("batch")
def batch_cmd(
    pairs: Annotated[Path, typer.Argument(help="CSV with pair_id,origin,dest")],
    out: Annotated[Path, typer.Option("--out", help="PREDS.csv to write")],
    scheduler: Annotated[str | None, typer.Option("--scheduler", help="tcp://HOST:PORT")] = None,
    workers: Annotated[int, typer.Option("--workers", help="LocalCluster worker processes")] = 2,
) -> None:
    """Compare many pairs on Dask (LocalCluster by default)."""
    from rich.progress import Progress

    from mainport.imaging.batch import run_batch

    with Progress(transient=True) as prog:
        task = prog.add_task("comparing", total=None)

        def tick(i: int, n: int) -> None:
            prog.update(task, completed=i, total=n)

        summary = run_batch(pairs, out, scheduler=scheduler, workers=workers, on_progress=tick)
    typer.echo(f"{summary['n']} pairs, {summary['errors']} error(s), {summary['compute_s']:.1f} s -> {out}")


@app.command("render")
def render_cmd(
    out_dir: Annotated[Path, typer.Argument(help="folder for origin/arrival files")],
    seed: Annotated[int, typer.Option(help="random seed")] = 1,
    change: Annotated[str, typer.Option(help="none|added|removed")] = "added",
    fmt: Annotated[str, typer.Option("--format", help="npy|png|tif|dcs")] = "npy",
) -> None:
    """Render a synthetic origin/arrival pair (with ground truth) to disk."""
    from mainport.imaging.io import write_scan
    from mainport.imaging.render import render_pair

    if change not in ("none", "added", "removed"):
        raise typer.BadParameter("change must be none, added or removed")
    p = render_pair(seed, change=None if change == "none" else change)  # type: ignore[arg-type]
    out_dir.mkdir(parents=True, exist_ok=True)
    po = write_scan(p.origin, out_dir / f"origin.{fmt}")
    pa = write_scan(p.arrival, out_dir / f"arrival.{fmt}")
    truth = {
        "change": p.change,
        "kind": p.change_kind,
        "mass_kg": p.change_mass_kg,
        "box_arrival": p.box_arrival,
        "box_origin": p.box_origin,
        "commodity": p.contents.commodity,
        "size_ft": p.contents.size_ft,
    }
    (out_dir / "truth.json").write_text(json.dumps(truth, indent=2), encoding="utf-8")
    typer.echo(f"wrote {po} and {pa}")


def _platform(as_user: str | None) -> tuple[sessionmaker[Session], Principal]:
    """The session factory of the configured database and who acts (the system, or a named user)."""
    from mainport.database.runtime import get_session_factory
    from mainport.identity.acting import acting_principal

    factory = get_session_factory()
    return factory, acting_principal(factory, as_user)


@app.command("ingest")
def ingest_cmd(
    path: Annotated[Path, typer.Argument(help="a scan file or a folder of them (e.g. a world's scans/)")],
    phase: Annotated[
        str | None, typer.Option("--phase", help="origin|arrival (default: sidecar, else by location)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the reconciliation as JSON")] = False,
    as_user: Annotated[
        str | None, typer.Option("--as-user", help="act as this user (default: system)")
    ] = None,
) -> None:
    """Store scans in the platform; bad files are quarantined; arrival scans are compared with origin."""
    from rich.progress import Progress

    from mainport.errors import MainportError
    from mainport.imaging.jobs import ingest_scans

    if phase is not None and phase not in ("origin", "arrival"):
        raise typer.BadParameter("phase must be origin or arrival")
    factory, actor = _platform(as_user)
    try:
        with Progress(transient=True, disable=as_json) as prog:
            task = prog.add_task("scans", total=None)
            result = ingest_scans(
                session_factory=factory,
                actor=actor,
                path=path,
                phase=phase,
                on_file=lambda i, n: prog.update(task, completed=i, total=n),
            )
    except MainportError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from None
    summary = result.summary()
    if as_json:
        typer.echo(json.dumps(summary))
        return
    typer.echo(
        f"{summary['received']} received: {summary['stored']} stored, {summary['duplicates']} duplicate(s), "
        f"{summary['quarantined']} quarantined; {len(result.comparison_ids)} comparison(s), "
        f"{len(result.alert_ids)} alert(s) (run {summary['run_id']})"
    )
    for p in summary["problems"]:
        typer.echo(f"  quarantined {p['locator']}: {p['reason']}")


@app.command("compare-pending")
def compare_pending_cmd(
    as_user: Annotated[
        str | None, typer.Option("--as-user", help="act as this user (default: system)")
    ] = None,
) -> None:
    """Compare every arrival scan that has an earlier origin scan and no comparison yet."""
    from mainport.imaging.jobs import compare_pending

    factory, actor = _platform(as_user)
    ids = compare_pending(session_factory=factory, actor=actor)
    typer.echo(f"{len(ids)} comparison(s)")


@app.command("outcome")
def outcome_cmd(
    comparison_id: Annotated[int, typer.Argument(help="the comparison (pair) that was inspected")],
    outcome: Annotated[str, typer.Argument(help="clean | found")],
    inspection_id: Annotated[int | None, typer.Option("--inspection", help="inspection record id")] = None,
    note: Annotated[str, typer.Option("--note", help="free text")] = "",
    as_user: Annotated[
        str | None, typer.Option("--as-user", help="act as this user (default: system)")
    ] = None,
) -> None:
    """Record what the inspection of a compared pair found (clean pairs calibrate the alert threshold)."""
    from mainport.config import get_settings
    from mainport.database import session_scope
    from mainport.errors import MainportError
    from mainport.imaging import calibration

    factory, actor = _platform(as_user)
    try:
        with session_scope(factory) as session:
            calibration.record_outcome(
                session=session,
                actor=actor,
                comparison_id=comparison_id,
                outcome=outcome,
                inspection_id=inspection_id,
                note=note,
                default_threshold=get_settings().scan_alert_threshold,
            )
    except MainportError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"comparison {comparison_id}: {outcome}")


@app.command("confirm-clean")
def confirm_clean_cmd(
    as_user: Annotated[
        str | None, typer.Option("--as-user", help="act as this user (default: system)")
    ] = None,
) -> None:
    """Take outcomes of compared pairs from the physical inspection records (not_found = clean)."""
    from mainport.config import get_settings
    from mainport.database import session_scope
    from mainport.imaging import calibration

    factory, actor = _platform(as_user)
    with session_scope(factory) as session:
        recs = calibration.confirm_from_inspections(
            session=session, actor=actor, default_threshold=get_settings().scan_alert_threshold
        )
        clean = sum(r.outcome == "clean" for r in recs)
    typer.echo(f"{len(recs)} outcome(s) from inspections: {clean} clean, {len(recs) - clean} found")


@app.command("calibration")
def calibration_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
    as_user: Annotated[
        str | None, typer.Option("--as-user", help="act as this user (default: system)")
    ] = None,
) -> None:
    """The self-calibrated alert threshold of every scanner pairing."""
    from mainport.database import session_scope
    from mainport.imaging import calibration

    factory, actor = _platform(as_user)
    with session_scope(factory) as session:
        rows = [
            {
                "origin_scanner": r.origin_scanner,
                "arrival_scanner": r.arrival_scanner,
                "params_version": r.params_version,
                "threshold": round(r.threshold, 4),
                "prior_threshold": round(r.prior_threshold, 4),
                "n_clean": r.n_clean,
                "target_fa": r.target_fa,
            }
            for r in calibration.list_calibrations(session=session, actor=actor)
        ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        typer.echo(
            "no scanner pairing has confirmed-clean pairs yet: every pair uses the configured threshold"
        )
    for r in rows:
        typer.echo(
            f"{r['origin_scanner']} -> {r['arrival_scanner']} ({r['params_version']}): threshold "
            f"{r['threshold']:.3f} from {r['n_clean']} clean pair(s) (started at {r['prior_threshold']:.3f}, "
            f"target {r['target_fa']:.0%} false alarms)"
        )
