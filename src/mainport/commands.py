"""What every `mainport` command shares: errors a person can act on.

A user mistake (a missing file, a wrong value, an unknown key, a refused permission) ends in one line on
stderr that names what was wrong, and exit code 2; a failure of the run itself (the database went away, the
disk is full) in one line and exit code 1. Tracebacks only with ``mainport --debug ...`` (or
``MAINPORT_DEBUG=1``). The root command group catches, so every domain's commands get this without code of
their own."""

from __future__ import annotations

import os
from typing import Any

import typer
from typer import _click  # typer ships its own click; its Context is what commands receive
from typer.core import TyperGroup

from mainport.errors import MainportError

USER_MISTAKE = 2
RUN_FAILED = 1


def _first_line(text: str) -> str:
    return next((line.strip() for line in str(text).splitlines() if line.strip()), "")


def _database_hint() -> str:
    url = os.environ.get("MAINPORT_DATABASE_URL")
    where = "MAINPORT_DATABASE_URL" if url else "the default database (var/mainport.db)"
    return f"check that the database is running and {where} is right"


def _schema_behind(exc: BaseException) -> bool:
    """A table or column the code expects is not in the database: not migrated (far enough) yet."""
    text = str(getattr(exc, "orig", None) or exc)
    return any(sign in text for sign in ("no such table", "no such column", "has no column named")) or (
        ("relation" in text or "column" in text) and "does not exist" in text
    )


def describe(exc: BaseException) -> tuple[str, int]:
    """One line and an exit code for an exception that reached the command line."""
    import pydantic
    import sqlalchemy.exc
    import yaml

    if isinstance(exc, MainportError):
        return exc.message, USER_MISTAKE
    if isinstance(exc, typer.TyperException) and hasattr(exc, "format_message"):
        # Usage errors (an unknown command, a bad option value): exit code 2, as click has it.
        return exc.format_message(), int(getattr(exc, "exit_code", USER_MISTAKE))
    if isinstance(exc, FileNotFoundError):
        if exc.filename is None:
            return _first_line(str(exc)) or "a file or folder is missing", USER_MISTAKE
        return f"{exc.filename}: no such file or folder (check the path)", USER_MISTAKE
    if isinstance(exc, IsADirectoryError):
        return f"{exc.filename}: is a folder, give a file", USER_MISTAKE
    if isinstance(exc, NotADirectoryError):
        return f"{exc.filename}: is not a folder", USER_MISTAKE
    if isinstance(exc, PermissionError) and exc.filename:
        return f"{exc.filename}: permission denied (check the file's owner and mode)", USER_MISTAKE
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text ({exc.reason} at byte {exc.start}); save the file as UTF-8", USER_MISTAKE
    if isinstance(exc, yaml.YAMLError):
        mark = getattr(exc, "problem_mark", None)
        name = getattr(mark, "name", "")
        where = f"{name if not str(name).startswith('<') else 'YAML'} line {mark.line + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or _first_line(str(exc))
        return f"{where}not valid YAML ({problem})", USER_MISTAKE
    if isinstance(exc, pydantic.ValidationError):
        err = exc.errors()[0] if exc.errors() else {"loc": (), "msg": str(exc)}
        where = ".".join(str(p) for p in err.get("loc", ())) or exc.title
        hint = " (a MAINPORT_* setting)" if exc.title == "Settings" else ""
        return f"{where}: {err.get('msg')}{hint}", USER_MISTAKE
    if isinstance(exc, sqlalchemy.exc.ArgumentError):
        return f"database URL not understood: {_first_line(str(exc))} (MAINPORT_DATABASE_URL)", USER_MISTAKE
    if _schema_behind(exc):
        found = _first_line(str(getattr(exc, "orig", None) or exc))
        message = f"the database schema is missing or older than this mainport ({found})"
        return f"{message}: run `mainport db upgrade`", USER_MISTAKE
    if isinstance(exc, sqlalchemy.exc.OperationalError | sqlalchemy.exc.InterfaceError):
        return f"database error: {_first_line(str(exc.orig or exc))} ({_database_hint()})", RUN_FAILED
    if isinstance(exc, OverflowError) or (
        isinstance(exc, sqlalchemy.exc.DataError) and "out of range" in str(exc.orig)
    ):
        return (
            f"a number is out of range ({_first_line(str(getattr(exc, 'orig', None) or exc))})",
            USER_MISTAKE,
        )
    if isinstance(exc, sqlalchemy.exc.IntegrityError):
        return f"refused by the database: {_first_line(str(exc.orig or exc))}", USER_MISTAKE
    if isinstance(exc, ValueError):  # the pure modules' way of refusing a value
        return _first_line(str(exc)) or type(exc).__name__, USER_MISTAKE
    if isinstance(exc, OSError):
        name = f"{exc.filename}: " if exc.filename else ""
        return f"{name}{exc.strerror or exc}", RUN_FAILED
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted", 130
    return (
        f"internal error ({type(exc).__name__}: {_first_line(str(exc))}); "
        "run again with `mainport --debug ...` for the traceback and report it",
        RUN_FAILED,
    )


def debug_wanted(ctx: _click.Context) -> bool:
    root = ctx.find_root()
    return bool(root.params.get("debug")) or os.environ.get("MAINPORT_DEBUG", "") not in ("", "0")


class CommandGroup(TyperGroup):
    """The root group: runs the command and turns whatever escapes into one line and an exit code."""

    def invoke(self, ctx: _click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except BaseException as exc:
            if debug_wanted(ctx):
                raise
            message, code = describe(exc)
            prefix = " ".join(p for p in ("mainport", ctx.invoked_subcommand) if p)
            typer.echo(f"{prefix}: {message}", err=True)
            ctx.exit(code)
