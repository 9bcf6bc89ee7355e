"""Dropping training items: the share removed, the floor of three, the order kept."""

import numpy as np
import pytest

from suite.data.sparsify import drop_items


def test_drops_the_share_keeps_order_and_the_floor():
    sequences = [np.arange(8) * 10, np.arange(4), np.arange(2)]
    kept = drop_items(sequences, 0.375, np.random.default_rng(0))
    assert [len(k) for k in kept] == [5, 3, 2]  # 8 - 3; 4 - 2 = 2 is raised to 3; 2 < 3 stays whole
    for original, part in zip(sequences, kept, strict=True):
        assert set(part) <= set(original) and (np.diff(part) > 0).all()


def test_nothing_dropped_at_zero():
    sequences = [np.arange(5)]
    assert drop_items(sequences, 0.0, np.random.default_rng(0))[0].tolist() == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("fraction", [-0.1, 1.0])
def test_fraction_out_of_range(fraction):
    with pytest.raises(ValueError, match=r"drop_fraction must lie in \[0, 1\)"):
        drop_items([np.arange(5)], fraction, np.random.default_rng(0))
