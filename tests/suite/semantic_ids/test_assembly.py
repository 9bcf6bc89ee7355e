"""Semantic IDs made unique: the dedup position and the quality figures of the codes."""

import numpy as np
import pytest

from suite.semantic_ids.assembly import dedup_position, make_unique


def test_dedup_position_counts_within_each_collision_group():
    codes = np.array([[0, 1], [0, 1], [2, 3], [0, 1], [2, 3], [5, 5]])
    assert dedup_position(codes).tolist() == [0, 1, 0, 2, 1, 0]
    ids = make_unique(codes, (6, 6))
    assert ids.stats["collision_rate"] == pytest.approx(3 / 6)
    assert ids.stats["max_items_per_sid"] == 3
    assert ids.codebook_sizes == (6, 6, 3)


def test_quality_figures_on_a_known_case():
    codes = np.array([[0], [1], [2], [3]])
    stats = make_unique(codes, (8,)).stats
    assert stats["utilization"] == [0.5]
    assert stats["entropy_bits"] == [pytest.approx(2.0)]
    assert stats["max_entropy_bits"] == [pytest.approx(3.0)]
