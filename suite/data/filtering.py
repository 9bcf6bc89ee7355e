"""k-core filtering: drop users and items with fewer than k interactions until none remain."""

from __future__ import annotations

import numpy as np


def k_core(users: np.ndarray, items: np.ndarray, k: int) -> np.ndarray:
    """Boolean mask of the interactions kept; `users` and `items` are integer codes. k <= 1 keeps all."""
    keep = np.ones(len(users), dtype=bool)
    if k <= 1:
        return keep
    while True:
        user_counts = np.bincount(users[keep], minlength=users.max() + 1)
        item_counts = np.bincount(items[keep], minlength=items.max() + 1)
        still = keep & (user_counts[users] >= k) & (item_counts[items] >= k)
        if still.sum() == keep.sum():
            return keep
        keep = still
