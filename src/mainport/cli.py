"""The `mainport` command: core commands here, each domain's commands mounted from `<domain>/cli.py`."""

from __future__ import annotations

import typer

from mainport.commands import CommandGroup
from mainport.domains import CLI_NAMES, domain_modules

app = typer.Typer(
    cls=CommandGroup,
    help="mainport: targeting, scan comparison, custody and monitoring for mainports.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="show the traceback of an error (or MAINPORT_DEBUG=1)"),
) -> None:
    """mainport: targeting, scan comparison, custody and monitoring for mainports."""


for _domain, _module in domain_modules("cli"):
    app.add_typer(_module.app, name=CLI_NAMES.get(_domain, _domain))

# Extra command groups a domain exposes besides its own (e.g. `mainport quarantine`).
try:
    from mainport.ingest.quarantine_cli import app as _quarantine_app

    app.add_typer(_quarantine_app, name="quarantine")
except ModuleNotFoundError as exc:  # pragma: no cover - only while the module is absent
    if exc.name != "mainport.ingest.quarantine_cli":
        raise

from mainport.database import cli as _db_cli  # noqa: E402
from mainport.identity.cli import token_app as _token_app  # noqa: E402
from mainport.operations.cli import worker  # noqa: E402
from mainport.serve import serve  # noqa: E402

app.add_typer(_db_cli.app, name="db")
app.add_typer(_token_app, name="token")
app.command("serve")(serve)
app.command("worker")(worker)
