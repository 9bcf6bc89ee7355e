"""Semantic IDs: tokenizer codes made unique by a dedup position, and their quality figures."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


def dedup_position(codes: np.ndarray) -> np.ndarray:
    """0, 1, 2 ... among the items that share a code tuple, in item order (TIGER's extra token)."""
    _, inverse = np.unique(codes, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    order = np.argsort(inverse, kind="stable")
    sorted_groups = inverse[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_groups)) + 1]
    first_of_group = np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    positions = np.empty(len(codes), dtype=np.int64)
    positions[order] = np.arange(len(order)) - first_of_group
    return positions


def code_entropy_bits(column: np.ndarray, size: int) -> float:
    counts = np.bincount(column, minlength=size).astype(np.float64)
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log2(p)).sum())


@dataclass
class SemanticIds:
    """Unique per-item token tuples `[n_items, m]`; the last position is the dedup token when `dedup`."""

    codes: np.ndarray
    codebook_sizes: tuple[int, ...]
    stats: dict = field(default_factory=dict)
    dedup: bool = True

    @property
    def dedup_position(self) -> int | None:
        """The index of the dedup position, or None where the codes are unique on their own."""
        return self.length - 1 if self.dedup else None

    @property
    def length(self) -> int:
        return self.codes.shape[1]


def make_unique(codes: np.ndarray, sizes: tuple[int, ...], always_dedup: bool = True) -> SemanticIds:
    """Append the dedup position (its codebook as large as the largest collision group).

    The collision figures are measured before dedup. With `always_dedup`, the position is
    appended even when no two items collide, so every catalog has the same SID length.
    """
    codes = np.asarray(codes, dtype=np.int64)
    n = len(codes)
    _, counts = np.unique(codes, axis=0, return_counts=True)
    stats = {
        "items": n,
        "collision_rate": float(1.0 - len(counts) / n) if n else 0.0,
        "max_items_per_sid": int(counts.max()) if n else 0,
        "utilization": [float(len(np.unique(codes[:, j])) / sizes[j]) for j in range(codes.shape[1])],
        "entropy_bits": [code_entropy_bits(codes[:, j], sizes[j]) for j in range(codes.shape[1])],
        "max_entropy_bits": [float(np.log2(size)) for size in sizes],
    }
    appended = always_dedup or stats["max_items_per_sid"] > 1
    if appended:
        extra = dedup_position(codes)
        codes = np.concatenate([codes, extra[:, None]], axis=1)
        sizes = (*sizes, int(extra.max()) + 1)
    return SemanticIds(codes=codes, codebook_sizes=tuple(sizes), stats=stats, dedup=appended)
