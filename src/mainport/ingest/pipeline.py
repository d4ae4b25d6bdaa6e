"""The reader process of a pipelined events file job: read, parse, validate and bind, in its own process.

The job's process keeps what needs the database (stored eventIDs, the sequence state, the write, the
quarantine); the reader (`python -m mainport.ingest.pipeline`) does the rest (`prepare.prepare_events`) a
batch ahead and writes each batch to its stdout as one length-prefixed frame (kind, batch | traceback,
bytes read), serialised with marshal (a prepared batch is plain str/int/None tuples and lists). The pipe
blocks the reader while the job is still writing the previous batch, so about two batches are in memory.

A fresh interpreter rather than multiprocessing: it imports only the reader and the checks (~0.1 s, no
SQLAlchemy), holds no inherited database connections, and does not re-run the caller's __main__ module.
"""

from __future__ import annotations

import argparse
import gc
import marshal
import os
import struct
import subprocess
import sys
import traceback
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import IO, Any

import mainport
from mainport.ingest import readers
from mainport.ingest.prepare import PreparedEvents, prepare_events

_LENGTH = struct.Struct("<Q")


class ReaderFailed(RuntimeError):
    """The reader process failed; the message is the last line of its traceback (the exception), the
    whole traceback is in `traceback`."""

    def __init__(self, traceback_text: str) -> None:
        lines = [line for line in traceback_text.strip().splitlines() if line.strip()]
        super().__init__(f"the ingest reader process failed: {lines[-1] if lines else 'no traceback'}")
        self.traceback = traceback_text


def _send(out: IO[bytes], message: tuple[str, Any, int]) -> None:
    # marshal: the fastest serialiser for plain str/int/None containers; both ends run the same interpreter.
    data = marshal.dumps(message)
    out.write(_LENGTH.pack(len(data)))
    out.write(data)
    out.flush()


def read_prepared(path: str, source: str, dialect: str, batch_size: int, out: IO[bytes]) -> None:
    """Send ("batch", PreparedEvents, bytes read) per batch, then ("done", None, bytes read); on a failure
    ("error", traceback text, 0)."""
    gc.disable()  # parsed records are acyclic; the young generation is collected after each batch
    read = [0]

    def progress(n: int) -> None:
        read[0] += n

    try:
        records = readers.read_events(Path(path), progress=progress)
        while batch := list(islice(records, batch_size)):
            prepared = prepare_events(batch, source=source, now=datetime.now(UTC), dialect=dialect)
            del batch
            _send(out, ("batch", prepared.to_wire(), read[0]))
            read[0] = 0
            del prepared
            gc.collect(0)
        _send(out, ("done", None, read[0]))
    except BrokenPipeError:  # the job stopped reading (it failed and ends this process): nothing to tell
        return
    except Exception:
        _send(out, ("error", traceback.format_exc(), 0))


def start_reader(path: str, source: str, dialect: str, batch_size: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "mainport.ingest.pipeline", path, source, dialect, str(batch_size)]
    # The same interpreter finds the same mainport, also when it is imported from a source tree.
    package_root = str(Path(mainport.__file__).resolve().parent.parent)
    paths = [package_root, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    return subprocess.Popen(command, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env)


def receive(reader: subprocess.Popen[bytes]) -> Iterator[tuple[PreparedEvents | None, int]]:
    """The prepared batches in file order with the bytes read for each (None with the bytes read after the
    last batch); the reader's failure is raised here."""
    assert reader.stdout is not None
    inbox = reader.stdout
    while True:
        head = inbox.read(_LENGTH.size)
        if len(head) < _LENGTH.size:
            code = reader.wait()
            raise RuntimeError(f"the ingest reader process ended (exit code {code}) before the file did")
        (size,) = _LENGTH.unpack(head)
        what, item, nbytes = marshal.loads(inbox.read(size))
        if what == "batch":
            yield PreparedEvents.from_wire(item), nbytes
        elif what == "done":
            yield None, nbytes
            return
        else:
            raise ReaderFailed(item)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Reader process of a pipelined events file job.")
    parser.add_argument("path")
    parser.add_argument("source")
    parser.add_argument("dialect", help="sqlite: times as naive UTC text; others: with +00:00")
    parser.add_argument("batch_size", type=int)
    args = parser.parse_args(argv)
    read_prepared(args.path, args.source, args.dialect, args.batch_size, sys.stdout.buffer)


if __name__ == "__main__":
    main()
