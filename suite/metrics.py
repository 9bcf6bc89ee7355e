"""Per-user ranking metrics under leave-one-out (one relevant item per user).

A metric is named `NAME@K` in the YAML (`recall@10`). Each is one registered class that says
everything about it: its name, its short label in tables and its formula over the target's
rank; `parse_metric` is the one parser of the spelling. A plugin adds a metric by registering
a `Metric` subclass with `@register_metric("name")`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from suite.registry import metrics

NO_ITEM = -1
METRIC_SPELLING = re.compile(r"^([a-z][a-z0-9_-]*)@([1-9][0-9]*)$")

register_metric = metrics.register


class Metric:
    """A per-user metric of the target's 1-based rank in the list (0: not in the list) at cut-off K."""

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""  # short column label in tables: `R` shows as `R@10`

    @staticmethod
    def values(ranks: np.ndarray, k: int) -> np.ndarray:
        raise NotImplementedError


@register_metric("recall")
class Recall(Metric):
    """1 when the target ranks within the first K, else 0 (= HR@K with one relevant item)."""

    label = "R"

    @staticmethod
    def values(ranks: np.ndarray, k: int) -> np.ndarray:
        return ((ranks > 0) & (ranks <= k)).astype(np.float64)


@register_metric("ndcg")
class Ndcg(Metric):
    """1 / log2(rank + 1) when the target ranks within the first K, else 0 (the ideal DCG is 1)."""

    label = "N"

    @staticmethod
    def values(ranks: np.ndarray, k: int) -> np.ndarray:
        inside = (ranks > 0) & (ranks <= k)
        gain = np.zeros(len(ranks), dtype=np.float64)
        gain[inside] = 1.0 / np.log2(ranks[inside] + 1.0)
        return gain


def parse_metric(text: str) -> tuple[type[Metric], int]:
    """The metric class and K of `NAME@K`; a ValueError saying what is wrong otherwise."""
    match = METRIC_SPELLING.match(text)
    known = metrics.names()
    if not match or match.group(1) not in known:
        raise ValueError(f"unknown metric {text!r} (use NAME@K, NAME one of: {', '.join(known)})")
    return metrics.get(match.group(1)), int(match.group(2))


def metric_label(text: str) -> str:
    """`recall@10` -> `R@10`, as table columns show it."""
    cls, k = parse_metric(text)
    return f"{cls.label}@{k}"


def target_ranks(topk: np.ndarray, target: np.ndarray) -> np.ndarray:
    """1-based rank of each user's target in their list, or 0 when it is absent.

    `-1` entries mean "no item" and never match. When an item appears more than once,
    its first occurrence counts, so duplicates can only push other items down.
    """
    topk = np.asarray(topk)
    target = np.asarray(target)
    if topk.ndim != 2 or target.shape != (topk.shape[0],):
        raise ValueError(f"expected topk [n, k] and target [n], got {topk.shape} and {target.shape}")
    hits = (topk == target[:, None]) & (topk != NO_ITEM)
    found = hits.any(axis=1)
    return np.where(found, hits.argmax(axis=1) + 1, 0)


def rank_metrics(topk: np.ndarray, target: np.ndarray, ks: Sequence[int] = (1, 5, 10)) -> dict[str, np.ndarray]:
    """Every registered metric at every K, per user (`recall@1`, `ndcg@1`, ... in that order).

    A list shorter than K counts as padded with "no item".
    """
    ranks = target_ranks(topk, target)
    names = sorted(metrics.names(), key=_builtin_first)
    return {f"{name}@{k}": metrics.get(name).values(ranks, k) for k in ks for name in names}


def _builtin_first(name: str) -> tuple[int, str]:
    """recall, then ndcg (the order the store has always kept), then any plugin metric by name."""
    order = ("recall", "ndcg")
    return (order.index(name), "") if name in order else (len(order), name)
