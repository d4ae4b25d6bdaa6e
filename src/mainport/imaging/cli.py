"""Thin Typer CLI (mounted by the lead as ``mainport scan ...``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

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
