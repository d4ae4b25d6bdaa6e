"""Issue 18's hook into targeting: "looked up by a flagged insider".

A declaration whose container a flagged member of staff (insider.ranking: score over its threshold) looked up
in the LOOKBACK before the selection moment gets its score raised (noisy-or with WEIGHT) and a reason that
says so - never who. Kept apart from the model's features so that the targeting engineer's training stays
as it is; `apply` is called once from `service.score_day`, after the watch lists."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from mainport.insider.ranking import flagged_lookups
from mainport.targeting.selection import combine

LOOKBACK = timedelta(days=14)
WEIGHT = 0.3  # the raise a flagged insider's look-up gives (noisy-or with the score)
REASON = "insider: the box was looked up by a member of staff flagged by the insider ranking"


def apply(session: Session, scored: pd.DataFrame, *, moment: datetime) -> int:
    """Raise and explain the scores of declarations whose box a flagged insider looked up; how many."""
    if scored.empty or "container_number" not in scored:
        return 0
    numbers = [str(n) for n in scored["container_number"].dropna().unique() if n]
    flags = flagged_lookups(session, numbers, since=moment - LOOKBACK)
    if not flags:
        return 0
    hit = scored["container_number"].map(lambda n: n in flags).to_numpy(dtype=bool)
    raise_by = np.where(hit, WEIGHT, 0.0)
    scored["score"] = combine(scored["score"].to_numpy(dtype=float), raise_by)
    if "watch_reasons" in scored:
        scored["watch_reasons"] = [
            [*reasons, REASON] if h else reasons
            for reasons, h in zip(scored["watch_reasons"], hit, strict=True)
        ]
    return int(hit.sum())
