"""Which calls the divers inspect: the highest scores within capacity, with an exploration share chosen at
random or where the record is thin, each pick with the probability it had (targeting's selection, reused so
that hit rates and learning read vessel dives the same way as box inspections). Pure: no database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mainport.targeting.selection import select
from mainport.vessels.score import Scored

EXPLORATION_SHARE = 0.2  # a larger share than for boxes: dives are few and the record per port is thin


@dataclass(frozen=True)
class Pick:
    call_id: int
    rank: int
    score: float
    p: float
    strategy: str  # risk | random_audit | uncertainty
    propensity: float


def choose(
    scored: Sequence[Scored],
    capacity: int,
    *,
    exploration_share: float = EXPLORATION_SHARE,
    seed: int | np.random.Generator | None = None,
) -> list[Pick]:
    """Up to `capacity` picks among the scored calls, ranked."""
    if capacity < 0:
        raise ValueError("capacity must not be negative")
    if not scored or capacity == 0:
        return []
    frame = pd.DataFrame(
        {
            "declaration_id": [s.call_id for s in scored],
            "score": [s.p for s in scored],
            "model_p": [s.p for s in scored],
        }
    )
    p_of = {s.call_id: s.p for s in scored}
    out = select(frame, capacity, exploration_share=exploration_share, strategy="mixed", seed=seed)
    ids = out["declaration_id"].to_numpy(dtype=int)
    return [
        Pick(int(cid), int(rank), float(score), p_of[int(cid)], str(strategy), float(prop))
        for cid, rank, score, strategy, prop in zip(
            ids,
            out["rank"].to_numpy(dtype=int),
            out["score"].to_numpy(dtype=float),
            out["strategy"].to_numpy(dtype=object),
            out["propensity"].to_numpy(dtype=float),
            strict=True,
        )
    ]
