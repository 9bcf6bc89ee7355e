"""The dataset statistics: a user who repeats an item adds interactions, not distinct pairs."""

import numpy as np
import pytest

from suite.data.prepare import PreparedData


def test_sparsity_counts_distinct_user_item_pairs():
    sequences = [np.array([0, 1, 0, 0, 1]), np.array([2, 2, 2])]
    data = PreparedData(
        name="x", item_tokens=np.array(["a", "b", "c"]), user_tokens=np.array(["u", "v"]), sequences=sequences
    )
    stats = data.stats()
    assert stats["interactions"] == 8 and stats["distinct_pairs"] == 3
    assert stats["sparsity"] == pytest.approx(1 - 3 / 6)  # never negative, however often items repeat


def test_tied_timestamps_are_counted_by_hand():
    from suite.data.interactions import Interactions
    from suite.data.prepare import split_sequences

    # user a: times 1, 1, 2, 3, 3 (two ties, and valid/test tie); user b: 5, 6, 7 (none)
    rows = [("a", "x", 1), ("a", "y", 1), ("a", "z", 2), ("a", "x", 3), ("a", "w", 3)]
    rows += [("b", "x", 5), ("b", "y", 6), ("b", "z", 7)]
    users, items, times = map(list, zip(*rows, strict=True))
    data = split_sequences(Interactions.from_rows(users, items, times, {}), min_items=3, max_users=None)
    stats = data.stats()
    assert stats["tied_share"] == pytest.approx(2 / 8)
    assert stats["tied_valid_test_share"] == pytest.approx(1 / 2)
    assert [t.tolist() for t in data.timestamps] == [[1, 1, 2, 3, 3], [5, 6, 7]]
