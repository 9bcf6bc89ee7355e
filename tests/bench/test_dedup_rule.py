"""`bench/dedup_rule.py`: hit rates on targets that share their codes, read per seed's own SIDs."""

import numpy as np
import pandas as pd
import pytest

from bench.dedup_rule import dedup_codes, dedup_hit_rates
from suite.semantic_ids.assembly import make_unique
from suite.semantic_ids.storage import save_semantic_ids
from suite.store import Store


def _record(hits: list[float], nonzero: list[bool]) -> dict:
    frame = pd.DataFrame({"recall@10": hits, "nonzero_dedup": nonzero}, index=pd.Index([0, 1, 2], name="user"))
    return {"variants": {"default": frame}}


def test_each_seed_is_masked_by_its_own_dedup_codes():
    # seed A: user 0's target shares its codes (a hit); seed B: users 1 and 2's do (one hit)
    records = [_record([1.0, 0.0, 1.0], [True, False, False]), _record([0.0, 1.0, 0.0], [False, True, True])]
    nonzero_rate, zero_rate, pairs = dedup_hit_rates(records, "default")
    assert pairs == 3
    assert nonzero_rate == pytest.approx(2 / 3)  # hits 1 (A, user 0) + 1 (B, user 1) + 0 (B, user 2)
    assert zero_rate == pytest.approx(1 / 3)  # (A, 1) miss, (A, 2) hit, (B, 0) miss


def test_a_trials_kept_codes_are_read_not_refitted(tmp_path, monkeypatch):
    monkeypatch.setattr("bench.dedup_rule.catalog_semantic_ids", lambda *args: pytest.fail("refitted"))
    store, tokenizer = Store(tmp_path), {"name": "rq-kmeans", "levels": 2, "codebook_size": 4}
    save_semantic_ids(store.semantic_ids_file("k"), make_unique(np.array([[0, 1], [0, 1], [2, 3]]), (4, 4)), tokenizer)
    codes, refitted = dedup_codes(store, "k", {"params": {"tokenizer": tokenizer}, "seed": 0})
    assert codes.tolist() == [0, 1, 0] and not refitted
