"""Metrics of ranked lists under leave-one-out (one relevant item per user).

A metric is named `NAME@K` in the YAML (`recall@10`). Each is one registered class that says
everything about it: its name, its short label in tables, what it reads and its formula;
`parse_metric` is the one parser of the spelling. A plugin adds a metric by registering a
`Metric` subclass with `@register_metric("name")`.

The store keeps each user's ranked list (top N) and the target's rank, so every metric is
computed when the report is built, at any K up to N.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from suite.registry import metrics

NO_ITEM = -1
METRIC_SPELLING = re.compile(r"^([a-z][a-z0-9_-]*)@([1-9][0-9]*)$")
RANKS, ITEMS, POPULARITY = "ranks", "items", "popularity"

register_metric = metrics.register


@dataclass
class RankedLists:
    """What metrics read for one variant of one trial: per user, the ranked list and the target's rank."""

    ranks: np.ndarray  # [n_users] 1-based rank of the target in the list, 0 when it is absent
    items: np.ndarray | None = None  # [n_users, N] item ids, NO_ITEM where the list is shorter
    popularity: np.ndarray | None = None  # [n_items] training interactions of each item
    users: int | None = None  # users with training sequences (the popularity's denominator)


class Metric:
    """A metric at cut-off K. `per_user` metrics give one value per user (averaged, and tested
    in pairs); the others give one value for the whole list set (reported, never tested).
    `needs` names what it reads of `RankedLists`."""

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""  # short column label in tables: `R` shows as `R@10`
    per_user: ClassVar[bool] = True
    needs: ClassVar[frozenset[str]] = frozenset({RANKS})
    higher_is_better: ClassVar[bool] = True  # which way the tables' best and second point

    @classmethod
    def values(cls, lists: RankedLists, k: int) -> np.ndarray | float:
        raise NotImplementedError


def _inside(ranks: np.ndarray, k: int) -> np.ndarray:
    return (ranks > 0) & (ranks <= k)


def _of_rank(lists: RankedLists, k: int, gain) -> np.ndarray:
    """Per user, `gain(rank)` where the target ranks within the first K, else 0."""
    inside = _inside(lists.ranks, k)
    values = np.zeros(len(lists.ranks), dtype=np.float64)
    values[inside] = gain(lists.ranks[inside].astype(np.float64))
    return values


@register_metric("recall")
class Recall(Metric):
    """1 when the target ranks within the first K, else 0 (= HR@K with one relevant item)."""

    label = "R"

    @classmethod
    def values(cls, lists: RankedLists, k: int) -> np.ndarray:
        return _inside(lists.ranks, k).astype(np.float64)


@register_metric("ndcg")
class Ndcg(Metric):
    """1 / log2(rank + 1) when the target ranks within the first K, else 0 (the ideal DCG is 1)."""

    label = "N"

    @classmethod
    def values(cls, lists: RankedLists, k: int) -> np.ndarray:
        return _of_rank(lists, k, lambda rank: 1.0 / np.log2(rank + 1.0))


@register_metric("mrr")
class Mrr(Metric):
    """1 / rank when the target ranks within the first K, else 0."""

    label = "MRR"

    @classmethod
    def values(cls, lists: RankedLists, k: int) -> np.ndarray:
        return _of_rank(lists, k, lambda rank: 1.0 / rank)


def _top(lists: RankedLists, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The first K items of every list and which of them are items (not padding)."""
    top = lists.items[:, :k]
    return top, top != NO_ITEM


@register_metric("coverage")
class Coverage(Metric):
    """Catalog coverage: the share of the catalog that appears in at least one user's first K."""

    label = "Cov"
    per_user = False
    needs = frozenset({ITEMS, POPULARITY})

    @classmethod
    def values(cls, lists: RankedLists, k: int) -> float:
        top, present = _top(lists, k)
        return len(np.unique(top[present])) / len(lists.popularity)


def _mean_over_list(scores: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Per user, the mean of `scores` over the items present in the list (0 for an empty list)."""
    counts = present.sum(axis=1)
    totals = np.where(present, scores, 0.0).sum(axis=1)
    return np.divide(totals, counts, out=np.zeros(len(counts)), where=counts > 0)


@register_metric("popularity")
class AverageRecommendedPopularity(Metric):
    """ARP@K, the popularity bias of a list: the mean training interaction count of its first K items."""

    label = "ARP"
    needs = frozenset({ITEMS, POPULARITY})
    higher_is_better = False  # the less a list leans on popular items, the less biased

    @classmethod
    def values(cls, lists: RankedLists, k: int) -> np.ndarray:
        top, present = _top(lists, k)
        return _mean_over_list(lists.popularity[np.where(present, top, 0)].astype(np.float64), present)


@register_metric("novelty")
class Novelty(Metric):
    """The mean self-information of the first K items, -log2((c_i + 1) / (U + 1)) with c_i the
    item's training interactions and U the training users (+1: an unseen item stays finite)."""

    label = "Nov"
    needs = frozenset({ITEMS, POPULARITY})

    @classmethod
    def values(cls, lists: RankedLists, k: int) -> np.ndarray:
        top, present = _top(lists, k)
        information = -np.log2((lists.popularity.astype(np.float64) + 1.0) / (lists.users + 1.0))
        return _mean_over_list(information[np.where(present, top, 0)], present)


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


def is_per_user(text: str) -> bool:
    return parse_metric(text)[0].per_user


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
    """Every registered per-user metric that reads only the target's rank, at every K
    (`recall@1`, `ndcg@1`, ... in that order). A list shorter than K counts as padded with "no item"."""
    lists = RankedLists(ranks=target_ranks(topk, target))
    names = [name for name in sorted(metrics.names(), key=_builtin_first) if metrics.get(name).needs <= {RANKS}]
    return {f"{name}@{k}": metrics.get(name).values(lists, k) for k in ks for name in names}


def _builtin_first(name: str) -> tuple[int, str]:
    """recall, then ndcg (the order the store has always kept), then the others by name."""
    order = ("recall", "ndcg")
    return (order.index(name), "") if name in order else (len(order), name)


def computable(text: str, lists: RankedLists) -> bool:
    """Whether `lists` hold what metric `text` reads (lists stored before ranked lists hold none)."""
    return all(getattr(lists, need) is not None for need in parse_metric(text)[0].needs)


def score(lists: RankedLists, names: Sequence[str]) -> dict[str, np.ndarray | float]:
    """Each metric of `names` that `lists` can give: per user (an array) or for the whole set (a float)."""
    out: dict[str, np.ndarray | float] = {}
    for text in names:
        if computable(text, lists):
            cls, k = parse_metric(text)
            out[text] = cls.values(lists, k)
    return out
