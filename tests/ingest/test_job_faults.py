"""Faults of the job itself: a batch run again after a fault of the moment, a COMMIT whose answer was lost,
a job that fails for good (one line, the run marked failed, a re-run resumes), and the CLI's exit codes."""

from __future__ import annotations

import errno
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import psycopg
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from mainport.identity.models import Role
from mainport.identity.principal import system_principal
from mainport.ingest import cli, event_store, jobs, service
from mainport.ingest.jobs import IngestFailed, ingest_file
from mainport.ingest.models import IngestRun, QuarantinedRecord
from mainport.shipments.models import ContainerEvent
from tests.conftest import FreshDatabase, PrincipalFactory
from tests.ingest.helpers import event

N = 10


def _file(tmp_path: Path) -> Path:
    path = tmp_path / "events.jsonl"
    lines = [orjson.dumps(event(i)) for i in range(1, N + 1)]
    lines.insert(4, b"{not json")
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def _lost_connection() -> OperationalError:
    return OperationalError("COPY", {}, psycopg.OperationalError("server closed the connection unexpectedly"))


@pytest.fixture
def flaky_batches(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[dict[int, BaseException]], None]]:
    """Make batch n (1, 2, ...) of the next job raise the given exception on its first attempt."""
    real = event_store.ingest_events

    def install(faults: dict[int, BaseException]) -> None:
        calls = {"n": 0}

        def ingest_events(**kw: Any) -> Any:
            recon = real(**kw)
            calls["n"] += 1
            fault = faults.pop(calls["n"], None)
            if fault is not None:
                raise fault
            return recon

        monkeypatch.setattr(event_store, "ingest_events", ingest_events)

    yield install


def _stored(factory: sessionmaker[Session]) -> tuple[int, int]:
    with factory() as s:
        events = s.scalar(select(func.count()).select_from(ContainerEvent)) or 0
        quarantined = s.scalar(select(func.count()).select_from(QuarantinedRecord)) or 0
    return events, quarantined


def test_a_batch_that_hits_a_transient_fault_is_run_again(
    fresh_db: FreshDatabase, tmp_path: Path, flaky_batches: Callable[[dict[int, BaseException]], None]
) -> None:
    flaky_batches({2: _lost_connection()})
    recon = ingest_file(
        session_factory=fresh_db.factory,
        actor=system_principal(),
        kind="events",
        path=_file(tmp_path),
        batch_size=3,
    )
    assert (recon.received, recon.stored, recon.duplicates, recon.quarantined) == (N + 1, N, 0, 1)
    assert _stored(fresh_db.factory) == (N, 1)
    with fresh_db.factory() as s:
        run = s.get(IngestRun, recon.run_id)
        assert run is not None and (run.status, run.batches, run.stored) == ("finished", 4, N)


class _CommitAnswerLost(Session):
    """Commits, then reports the connection lost, once: the batch is committed but the job cannot know."""

    lost = [2]  # the commit (1, 2, ...) whose answer is lost

    def commit(self) -> None:
        super().commit()
        type(self).lost[0] -= 1
        if type(self).lost[0] == 0:
            raise _lost_connection()


def test_a_commit_whose_answer_was_lost_is_not_counted_twice(fresh_db: FreshDatabase, tmp_path: Path) -> None:
    factory = sessionmaker(bind=fresh_db.engine, class_=_CommitAnswerLost, expire_on_commit=False)
    recon = ingest_file(
        session_factory=factory, actor=system_principal(), kind="events", path=_file(tmp_path), batch_size=3
    )
    assert (recon.received, recon.stored, recon.duplicates, recon.quarantined) == (N + 1, N, 0, 1)
    with fresh_db.factory() as s:
        run = s.get(IngestRun, recon.run_id)
        assert run is not None and (run.batches, run.received, run.stored, run.duplicates) == (4, N + 1, N, 0)


def test_a_job_that_fails_for_good_says_why_in_one_line_and_a_re_run_resumes(
    fresh_db: FreshDatabase, tmp_path: Path, flaky_batches: Callable[[dict[int, BaseException]], None]
) -> None:
    path = _file(tmp_path)
    flaky_batches({3: OSError(errno.ENOSPC, "No space left on device", "/var/lib/db")})
    with pytest.raises(IngestFailed) as failed:
        ingest_file(
            session_factory=fresh_db.factory, actor=system_principal(), kind="events", path=path, batch_size=3
        )
    message = failed.value.message
    assert "\n" not in message and "/var/lib/db: No space left on device" in message
    assert "committed 2 batches (6 records) and is marked failed" in message and "again to resume" in message
    with fresh_db.factory() as s:
        run = s.scalars(select(IngestRun)).one()
        assert (run.status, run.batches, run.received, run.stored) == ("failed", 2, 6, 5)
        assert run.error is not None and "No space left" in run.error
    again = ingest_file(
        session_factory=fresh_db.factory, actor=system_principal(), kind="events", path=path, batch_size=3
    )
    assert (again.stored, again.duplicates, again.quarantined) == (N - 5, 5, 1)
    assert _stored(fresh_db.factory) == (N, 1)  # the bad record is kept once across both runs


def test_a_killed_run_is_named_by_the_next_run_of_the_same_file(
    fresh_db: FreshDatabase, tmp_path: Path
) -> None:
    path = _file(tmp_path)
    with fresh_db.factory.begin() as s:
        s.add(IngestRun(kind="events", source=str(path), actor="x", status="running", batches=2, received=6))
    recon = ingest_file(session_factory=fresh_db.factory, actor=system_principal(), kind="events", path=path)
    assert (
        len(recon.notes) == 1
        and "did not finish" in recon.notes[0]
        and "committed 2 batches" in recon.notes[0]
    )


def test_cli_exit_codes(
    session_factory: sessionmaker[Session],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    flaky_batches: Callable[[dict[int, BaseException]], None],
) -> None:
    monkeypatch.setattr(cli, "session_factory", lambda: session_factory)
    good = CliRunner().invoke(cli.app, ["events", str(_file(tmp_path)), "--json"])
    assert good.exit_code == 0, good.output
    garbage = tmp_path / "garbage.jsonl"
    garbage.write_bytes(b"\n".join(b"garbage %d" % i for i in range(30)))
    flagged = CliRunner().invoke(cli.app, ["events", str(garbage)])
    assert flagged.exit_code == cli.GARBAGE_EXIT
    assert "warning:" in flagged.stderr and "30 of 30 records (100%) quarantined" in flagged.stderr
    one_line = tmp_path / "one.csv"
    one_line.write_text("24NL1,2024-03-01T08:00:00Z,BL1\n", encoding="utf-8")
    header = CliRunner().invoke(cli.app, ["declarations", str(one_line)])
    assert (
        header.exit_code == cli.GARBAGE_EXIT and "no valid header: missing column reference" in header.stderr
    )
    flaky_batches({1: OSError(errno.EIO, "Input/output error", "/data/x")})
    broken = CliRunner().invoke(cli.app, ["events", str(_file(tmp_path))])
    assert broken.exit_code == 1 and "Traceback" not in broken.output
    errors = [line for line in broken.stderr.splitlines() if line.startswith("mainport")]  # besides the bar
    assert len(errors) == 1 and errors[0].startswith("mainport ingest events: ingest of ")
    assert "Input/output error" in errors[0] and "committed 0 batches" in errors[0]


def test_job_kinds_come_from_the_registry() -> None:
    assert service.kinds()[:2] == ["declarations", "events"]
    assert {"access", "eseal", "inspections", "seizures"} <= set(service.kinds())
    assert jobs.choose_workers("access", Path(__file__)) == 0


def test_cli_user_mistakes_exit_2_in_one_line_and_start_nothing(
    session: Session,
    session_factory: sessionmaker[Session],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    principal_factory: PrincipalFactory,
) -> None:
    """Exit 2 (a user mistake) is for what is refused before a record is read: no run row, nothing stored.
    A file read to the end that looks like garbage is 3 (above): its run and its quarantine exist."""
    from mainport.cli import app as root

    monkeypatch.setattr(cli, "session_factory", lambda: session_factory)
    viewer = principal_factory(role=Role.viewer, username="just_looking")
    assert viewer.username == "just_looking"
    path = _file(tmp_path)
    for args, says in (
        (["ingest", "events", str(tmp_path / "missing.jsonl")], "does not exist"),
        (["ingest", "events", str(path), "--as-user", "nobody"], "no user 'nobody'"),
        (["ingest", "events", str(path), "--as-user", "just_looking"], "events:write"),
        (["ingest", "events", str(path), "--batch-size", "0"], "--batch-size"),
    ):
        result = CliRunner().invoke(root, args)
        assert result.exit_code == 2, (args, result.output)
        assert "Traceback" not in result.output and says in result.output, (args, result.output)
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(IngestRun)) == 0
        assert s.scalar(select(func.count()).select_from(ContainerEvent)) == 0
