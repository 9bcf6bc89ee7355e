"""`bench/dedup_rule.py`: hit rates on targets that share their codes, read per seed's own SIDs."""

import pandas as pd
import pytest

from bench.dedup_rule import dedup_hit_rates


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
