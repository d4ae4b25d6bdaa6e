"""A small world goes into the database through the real ingest path and reconciles."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from mainport.identity.models import OrgKind, Role
from mainport.world.generate import load_world


def test_small_world_loads_through_ingest(
    small_world: Path, session_factory: Any, session: Any, principal_factory: Any
) -> None:
    pytest.importorskip("mainport.ingest.jobs")
    from mainport.shipments.models import ContainerEvent, Declaration

    actor = principal_factory(role=Role.admin, kind=OrgKind.customs)
    session.commit()
    results = load_world(small_world, session_factory, actor)
    decl, events = results["declarations"], results["events"]
    assert decl.balanced and events.balanced
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Declaration)) == decl.stored
        assert s.scalar(select(func.count()).select_from(ContainerEvent)) == events.stored
    print(
        "quarantined",
        decl.quarantined,
        events.quarantined,
        [p.reason for p in decl.problems[:3]],
        [p.reason for p in events.problems[:3]],
    )
    assert decl.stored > 0 and events.stored > 0
