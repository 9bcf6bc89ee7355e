"""Paired significance tests on per-user values and multiple-comparison corrections."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import stats

PERMUTATIONS = 10_000


def paired_test(a: np.ndarray, b: np.ndarray, test: str = "wilcoxon", seed: int = 0) -> float:
    """Two-sided p-value that paired samples `a` and `b` differ.

    Identical samples (all differences zero) give p = 1 for every test. `permutation` flips
    the sign of each paired difference at random (`PERMUTATIONS` draws, fixed `seed`).
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"paired samples must be 1-d and of equal length, got {a.shape} and {b.shape}")
    diff = a - b
    if not np.any(diff):
        return 1.0
    if test == "wilcoxon":
        return float(stats.wilcoxon(a, b, zero_method="wilcox", alternative="two-sided").pvalue)
    if test == "t-test":
        if np.all(diff == diff[0]):
            return 0.0  # a constant non-zero shift: no variance, certainly different
        return float(stats.ttest_rel(a, b, alternative="two-sided").pvalue)
    if test == "permutation":
        result = stats.permutation_test(
            (a, b),
            lambda x, y, axis: np.mean(x - y, axis=axis),
            permutation_type="samples",
            vectorized=True,
            n_resamples=PERMUTATIONS,
            alternative="two-sided",
            rng=np.random.default_rng(seed),
        )
        return float(result.pvalue)
    raise ValueError(f"unknown test {test!r} (choose from: wilcoxon, t-test, permutation)")


def adjust(pvalues: Sequence[float], method: str = "holm") -> np.ndarray:
    """Family-wise corrected p-values (Holm's step-down, Bonferroni, or none)."""
    p = np.asarray(pvalues, dtype=np.float64)
    if method == "none" or p.size == 0:
        return p.copy()
    m = p.size
    if method == "bonferroni":
        return np.minimum(p * m, 1.0)
    if method == "holm":
        order = np.argsort(p, kind="stable")
        stepped = np.maximum.accumulate(p[order] * (m - np.arange(m)))
        adjusted = np.empty(m)
        adjusted[order] = np.minimum(stepped, 1.0)
        return adjusted
    raise ValueError(f"unknown correction {method!r} (choose from: holm, bonferroni, none)")
