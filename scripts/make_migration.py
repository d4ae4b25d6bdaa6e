"""Autogenerate a migration from the models: `python scripts/make_migration.py "message" [--initial]`.

With --initial the single initial migration is regenerated (only before the first release).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from alembic import command

from mainport.database import build_engine, migrations


def main() -> None:
    message = sys.argv[1] if len(sys.argv) > 1 else "schema change"
    versions = migrations.MIGRATIONS_DIR / "versions"
    if "--initial" in sys.argv:
        for f in versions.glob("*.py"):
            f.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'gen.db'}"
        engine = build_engine(url)
        migrations.upgrade(engine=engine)
        cfg = migrations.alembic_config(url)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            rev_id = "0001" if "--initial" in sys.argv else None
            command.revision(cfg, message=message, autogenerate=True, rev_id=rev_id)
        engine.dispose()
    # Generated code follows the project's style like any other file.
    subprocess.run([sys.executable, "-m", "ruff", "check", "--fix", "-q", str(versions)], check=False)
    subprocess.run([sys.executable, "-m", "ruff", "format", "-q", str(versions)], check=False)


if __name__ == "__main__":
    main()
