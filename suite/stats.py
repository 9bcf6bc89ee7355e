"""Paired significance tests on per-user values and multiple-comparison corrections.

Each test and each correction is one registered function, found by the name the YAML gives
(`evaluation.test`, `evaluation.correction`). A plugin adds one with `@register_test("name")`
(a function `(a, b, seed) -> p-value` of two paired samples that differ somewhere) or
`@register_correction("name")` (a function of a non-empty p-value array to the adjusted ones).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import stats

from suite.registry import corrections, tests

PERMUTATIONS = 10_000

register_test = tests.register
register_correction = corrections.register


@register_test("wilcoxon")
def wilcoxon(a: np.ndarray, b: np.ndarray, seed: int) -> float:
    return float(stats.wilcoxon(a, b, zero_method="wilcox", alternative="two-sided").pvalue)


@register_test("t-test")
def t_test(a: np.ndarray, b: np.ndarray, seed: int) -> float:
    diff = a - b
    if np.all(diff == diff[0]):
        return 0.0  # a constant non-zero shift: no variance, certainly different
    return float(stats.ttest_rel(a, b, alternative="two-sided").pvalue)


@register_test("permutation")
def permutation(a: np.ndarray, b: np.ndarray, seed: int) -> float:
    """Flips the sign of each paired difference at random (`PERMUTATIONS` draws, fixed `seed`)."""
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


def paired_test(a: np.ndarray, b: np.ndarray, test: str = "wilcoxon", seed: int = 0) -> float:
    """Two-sided p-value that paired samples `a` and `b` differ, by the registered `test`.

    Identical samples (all differences zero) give p = 1 for every test.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"paired samples must be 1-d and of equal length, got {a.shape} and {b.shape}")
    run = _lookup(tests, test)
    if not np.any(a - b):
        return 1.0
    return run(a, b, seed)


@register_correction("none")
def no_correction(p: np.ndarray) -> np.ndarray:
    return p.copy()


@register_correction("bonferroni")
def bonferroni(p: np.ndarray) -> np.ndarray:
    return np.minimum(p * p.size, 1.0)


@register_correction("holm")
def holm(p: np.ndarray) -> np.ndarray:
    """Holm's step-down."""
    m = p.size
    order = np.argsort(p, kind="stable")
    stepped = np.maximum.accumulate(p[order] * (m - np.arange(m)))
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(stepped, 1.0)
    return adjusted


def adjust(pvalues: Sequence[float], method: str = "holm") -> np.ndarray:
    """Family-wise corrected p-values by the registered correction `method`."""
    p = np.asarray(pvalues, dtype=np.float64)
    correct = _lookup(corrections, method)
    return p.copy() if p.size == 0 else correct(p)


def _lookup(registry, name: str):
    try:
        return registry.get(name)
    except KeyError as error:
        raise ValueError(error.args[0]) from None
