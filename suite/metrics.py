"""Per-user ranking metrics under leave-one-out (one relevant item per user)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

NO_ITEM = -1


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
    """`recall@K` and `ndcg@K` per user.

    With a single relevant item, Recall@K is 1 when the target ranks within the first K,
    and NDCG@K = 1 / log2(rank + 1) in that case, else 0. A list shorter than K counts as
    padded with "no item".
    """
    ranks = target_ranks(topk, target)
    out: dict[str, np.ndarray] = {}
    gain = np.zeros(len(ranks), dtype=np.float64)
    present = ranks > 0
    gain[present] = 1.0 / np.log2(ranks[present] + 1.0)
    for k in ks:
        inside = present & (ranks <= k)
        out[f"recall@{k}"] = inside.astype(np.float64)
        out[f"ndcg@{k}"] = np.where(inside, gain, 0.0)
    return out
