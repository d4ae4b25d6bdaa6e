"""`mainport barriers ...`: the ISPS port-facility register."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.console import Console
from rich.table import Table

from mainport.barriers import service
from mainport.database import session_scope
from mainport.database.runtime import get_session_factory
from mainport.errors import ValidationFailed
from mainport.identity.principal import system_principal

app = typer.Typer(help="Physical barriers: the ISPS port-facility register.", no_args_is_help=True)
console = Console()


def _measures(items: list[str]) -> list[dict[str, str]]:
    out = []
    for item in items:
        name, sep, state = item.partition("=")
        if not sep:
            raise ValidationFailed(f"--measure: MEASURE=STATE, e.g. cctv=in_place (got {item!r})")
        out.append({"measure": name.strip(), "state": state.strip()})
    return out


@app.command()
def register(
    code: str = typer.Argument(..., help="IMO port facility number, e.g. NLRTM-0001"),
    name: str = typer.Option(..., help="the facility's name"),
    hub: str = typer.Option(..., help="the hub it belongs to"),
    unlocode: str = typer.Option(..., help="UN/LOCODE of the port"),
    operator: str | None = typer.Option(None, help="the terminal's facility code"),
    level: int = typer.Option(1, min=1, max=3, help="ISPS security level"),
    status: str = typer.Option("approved", help="approved | suspended | withdrawn"),
    compliance_until: str | None = typer.Option(
        None, help="statement of compliance valid until (YYYY-MM-DD)"
    ),
    measure: list[str] = typer.Option([], help="MEASURE=STATE (in_place | partial | missing), repeatable"),
) -> None:
    """Add a facility to the register or change its entry."""
    until = None
    if compliance_until:
        try:
            until = datetime.strptime(compliance_until, "%Y-%m-%d").date()
        except ValueError:
            raise ValidationFailed(
                f"--compliance-until: not a date YYYY-MM-DD ({compliance_until!r})"
            ) from None
    with session_scope(get_session_factory()) as session:
        f = service.register_facility(
            session=session,
            actor=system_principal(),
            code=code,
            name=name,
            hub=hub,
            unlocode=unlocode.upper(),
            operator_code=operator,
            security_level=level,
            status=status,
            compliance_until=until,
            measures=_measures(measure),
        )
        console.print(
            f"{f.code} {f.name}: {f.status}, level {f.security_level}, {len(f.measures)} measure(s)"
        )


@app.command("list")
def list_cmd(hub: str | None = typer.Option(None, help="one hub")) -> None:
    """The register, with each facility's measures."""
    with session_scope(get_session_factory()) as session:
        rows = service.list_facilities(session=session, actor=system_principal(), hub=hub)
        table = Table("code", "name", "hub", "level", "status", "compliance until", "measures")
        for f in rows:
            table.add_row(
                f.code,
                f.name,
                f.hub,
                str(f.security_level),
                f.status,
                str(f.compliance_until or ""),
                ", ".join(f"{m['measure']}={m['state']}" for m in f.measures),
            )
    console.print(table)
