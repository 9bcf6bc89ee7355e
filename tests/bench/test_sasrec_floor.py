"""`bench/sasrec_floor.py` compares the seeds that have both sides, reads the named suite row, and
reports the suite's training time as a share of recbole's."""

import importlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from suite.store import Store, write_frame, write_json

METRICS = ["recall@1", "recall@5", "recall@10", "ndcg@5", "ndcg@10"]


@pytest.fixture
def floor(monkeypatch):
    # the script imports its sibling bench modules as a script does, from its own folder
    monkeypatch.syspath_prepend(str(Path(__file__).parents[2] / "bench"))
    return importlib.import_module("sasrec_floor")


def per_user(ndcg: list[float]) -> pd.DataFrame:
    frame = pd.DataFrame({"user": [str(u) for u in range(len(ndcg))]})
    for metric in METRICS:
        frame[metric] = ndcg
    return frame


def write_side(folder: Path, name: str, ndcg: list[float], facts: dict) -> None:
    write_frame(folder / f"{name}.parquet", per_user(ndcg))
    write_json(folder / f"{name}.json", facts)


def test_only_seeds_with_both_sides_count_and_the_time_share_sums_over_them(tmp_path, floor):
    write_side(tmp_path / "seed0", "recbole", [0.1, 0.2, 0.3], {"seconds": 1000.0})
    write_side(tmp_path / "seed0", "suite-fast", [0.2, 0.2, 0.3], {"train_seconds": 60.0})
    write_side(tmp_path / "seed1", "recbole", [0.1, 0.1, 0.1], {"seconds": 3000.0})
    write_side(tmp_path / "seed1", "suite-fast", [0.3, 0.1, 0.1], {"train_seconds": 140.0})
    write_side(tmp_path / "seed2", "recbole", [0.5, 0.5, 0.5], {"seconds": 9000.0})  # no suite side

    frame, share = floor.collected(tmp_path, "fast")

    assert sorted(frame["seed"].unique()) == [0, 1]
    assert set(frame["row"]) == {floor.RECBOLE, "suite-fast"}
    assert share == pytest.approx((60 + 140) / (1000 + 3000))
    # the default suite side has no files here, so nothing is comparable
    assert floor.collected(tmp_path)[0].empty


def test_the_report_states_the_verdict_and_the_time_share(tmp_path, floor, capsys):
    rng = np.random.default_rng(0)
    theirs = rng.uniform(0, 0.2, 40).tolist()
    write_side(tmp_path / "seed0", "recbole", theirs, {"seconds": 2000.0})
    write_side(tmp_path / "seed0", "suite", [v + 0.01 for v in theirs], {"train_seconds": 100.0})

    floor.report(tmp_path)

    out = capsys.readouterr().out
    assert "the suite (suite) meets recbole's floor" in out
    assert "in 0.050 of recbole's wall time" in out


def test_the_named_row_is_read_from_the_store_not_the_default_sasrec(tmp_path, floor):
    store = Store(tmp_path)
    for key, row, seed, ndcg in [("a", "sasrec", 0, 0.1), ("b", "fast", 0, 0.4), ("c", "fast", 1, 0.9)]:
        frame = per_user([ndcg, ndcg]).assign(variant="default")
        spec = {"method": row, "method_class": "sasrec", "seed": seed, "params": {"lr": 1}}
        summary = {
            "dataset": "ml-100k",
            "row": row,
            "seed": seed,
            "users": 2,
            "n_parameters": 1,
            "train_seconds": 5.0,
            "variants": {},
            "epochs": 3,
        }
        store.write_trial(key, spec, frame, pd.DataFrame({"epoch": [1]}), summary)

    chosen, summary = floor.suite_from_store(tmp_path, 0, "fast")

    assert chosen["ndcg@10"].tolist() == [0.4, 0.4]
    assert summary["row"] == "fast"
    with pytest.raises(SystemExit, match="seed 2 and row 'fast'"):
        floor.suite_from_store(tmp_path, 2, "fast")
