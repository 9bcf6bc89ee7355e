"""One context length: a method without its own `max_items` reads the dataset's `history`."""

from dataclasses import replace

import numpy as np
import pytest

from suite.store import Store
from suite.trial import fit_trial
from tests.tiny_trials import TINY, tiny_spec


@pytest.mark.parametrize(("method", "own"), [("sasrec", 0), ("tiger", 0), ("llada-rec", 0), ("greed", 4)])
def test_the_context_is_the_datasets_history_unless_the_row_sets_its_own(tmp_path, method, own):
    spec = replace(tiny_spec(method, max_items=own), dataset=replace(TINY, history=7))
    fitted, run = fit_trial(spec, Store(tmp_path))
    expected = own or 7
    if method == "sasrec":
        assert fitted.length == expected
    else:
        assert fitted.params["max_items"] == expected
    long = [np.arange(1, 30)]  # a history longer than any context: only the latest items are read
    assert fitted.recommend(long, 5).items.shape == (1, 5)
