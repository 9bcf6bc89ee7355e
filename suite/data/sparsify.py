"""Data-constrained training (MADRec section 4.3): each training sequence loses a share of its items."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def drop_items(
    sequences: Sequence[np.ndarray], fraction: float, rng: np.random.Generator, keep_at_least: int = 3
) -> list[np.ndarray]:
    """Each sequence with `fraction` of its items removed at random, in order, never below `keep_at_least`.

    Sequences already shorter than `keep_at_least` are kept whole.
    """
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"drop_fraction must lie in [0, 1), got {fraction}")
    kept = []
    for sequence in sequences:
        n = len(sequence)
        size = max(min(n, keep_at_least), n - int(fraction * n + 0.5))
        kept.append(sequence[np.sort(rng.choice(n, size=size, replace=False))])
    return kept
