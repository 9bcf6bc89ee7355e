"""A trial's per-user file as the store keeps it, and the metrics computed from it.

Each row is one (user, variant): the test `target`, its 1-based `rank` in the list (0 when the
list misses it) and `items`, the ranked list itself (the top N, padded with -1). Every metric
is computed from these when the report is built. Files written before ranked lists were kept
hold metric columns instead (`recall@10`, ...): those metrics are read as stored, and no others.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from suite.metrics import NO_ITEM, RankedLists, is_per_user, score, target_ranks


def ranked_lists_frame(
    users: np.ndarray, variant: str, targets: np.ndarray, items: np.ndarray, length: int
) -> pd.DataFrame:
    """The per-user rows of one variant: the list cut or padded (-1) to `length` items."""
    items = np.asarray(items)[:, :length]
    padded = np.full((len(items), length), NO_ITEM, dtype=np.int32)
    padded[:, : items.shape[1]] = items
    return pd.DataFrame(
        {
            "user": users,
            "variant": variant,
            "target": np.asarray(targets, dtype=np.int32),
            "rank": target_ranks(padded, targets).astype(np.int32),
            "items": list(padded),
        }
    )


@dataclass
class Popularity:
    """Training interactions per item of one dataset, and its training users."""

    counts: np.ndarray
    users: int


@dataclass
class Scores:
    """One variant's metrics: per-user values, set-level values, and the metrics it cannot give."""

    per_user: pd.DataFrame  # user, <per-user metrics>
    set_level: dict[str, float] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)


def score_variant(rows: pd.DataFrame, metrics: Sequence[str], popularity: Popularity | None) -> Scores:
    """The `metrics` of one variant's rows (ranked lists, or the metric columns of an older file)."""
    frame = pd.DataFrame({"user": rows["user"].to_numpy()})
    if "rank" not in rows.columns:
        present = [m for m in metrics if m in rows.columns]
        for metric in present:
            frame[metric] = rows[metric].to_numpy()
        return Scores(frame, missing=[m for m in metrics if m not in rows.columns])
    lists = RankedLists(
        ranks=rows["rank"].to_numpy(),
        items=np.stack(rows["items"].to_numpy()) if len(rows) else np.zeros((0, 0), dtype=np.int32),
        popularity=None if popularity is None else popularity.counts,
        users=None if popularity is None else popularity.users,
    )
    values = score(lists, metrics)
    set_level = {}
    for metric, value in values.items():
        if is_per_user(metric):
            frame[metric] = value
        else:
            set_level[metric] = float(value)
    return Scores(frame, set_level, [m for m in metrics if m not in values])
