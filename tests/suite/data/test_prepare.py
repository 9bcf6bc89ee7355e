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
