"""Targeting's "looked up by a flagged insider": the score is raised and explained, never naming who."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
from sqlalchemy.orm import Session

from mainport.database import utcnow
from mainport.insider.models import InsiderScore, StaffLookup
from mainport.targeting import insider_feature


def test_flagged_insider_lookup_raises_and_explains(session: Session) -> None:
    now = utcnow()
    for user, flagged in (("ectde.003", True), ("ectde.004", False)):
        session.add(
            InsiderScore(
                username=user,
                org_code="ECTDE",
                hub="rotterdam",
                lookups=10,
                score=30.0 if flagged else 1.0,
                rank=1 if flagged else 2,
                flagged=flagged,
                evidence=[],
                window_from=now - timedelta(days=42),
                window_to=now,
            )
        )
    for i, (user, box) in enumerate((("ectde.003", "MSCU1234565"), ("ectde.004", "MSCU7654321"))):
        session.add(
            StaffLookup(
                key=f"k{i}",
                at=now - timedelta(hours=3),
                username=user,
                org_code="ECTDE",
                hub="rotterdam",
                container_number=box,
                kind="position",
                source="t",
            )
        )
    session.flush()
    scored = pd.DataFrame(
        {
            "container_number": ["MSCU1234565", "MSCU7654321", None],
            "score": [0.1, 0.1, 0.1],
            "watch_reasons": [[], [], []],
        }
    )
    assert insider_feature.apply(session, scored, moment=now) == 1
    assert scored["score"].round(2).tolist() == [0.37, 0.1, 0.1]
    assert scored["watch_reasons"][0] == [
        "insider: the box was looked up by a member of staff flagged by the insider ranking"
    ]
    assert "ectde" not in " ".join(scored["watch_reasons"][0])
    assert scored["watch_reasons"][1] == []
    # Older than the look-back: no effect.
    later = pd.DataFrame({"container_number": ["MSCU1234565"], "score": [0.1], "watch_reasons": [[]]})
    assert insider_feature.apply(session, later, moment=now + timedelta(days=30)) == 0
