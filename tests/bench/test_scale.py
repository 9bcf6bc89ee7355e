"""`bench/scale.py`: the synthetic log covers the catalog, and the softmax stage's epoch is every
training position of it against every item at the measured rate."""

import numpy as np
import pytest

from bench.scale import _prepared, stage_load, stage_softmax, synthetic_log, write_atomic_file


def test_the_synthetic_log_shows_every_item_in_time_order():
    log = synthetic_log(items=500, users=30)
    assert set(log["item_id:token"]) == set(range(500))
    assert set(log["user_id:token"]) == set(range(30))
    assert np.all(np.diff(log["timestamp:float"]) > 0)


def test_the_softmax_stage_prices_an_epoch_of_every_training_position(tmp_path):
    write_atomic_file(synthetic_log(items=700, users=40), tmp_path, "scale")
    assert stage_load(tmp_path, None)["items"] == 700
    result = stage_softmax(tmp_path, None)
    data = _prepared(tmp_path)
    positions = sum(len(seq) - 1 for seq in data.train_sequences())
    logits = positions * (data.n_items + 1)  # the softmax covers the padding row too, as recbole's
    assert result["M logits/s"] > 0
    assert result["epoch s"] == pytest.approx(logits / (result["M logits/s"] * 1e6))
