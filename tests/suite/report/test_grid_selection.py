"""A `grid:` method's leaderboard row is the combination validation chose, never test."""

import numpy as np
import pandas as pd
import pytest

from suite.report.build import build_report, grid_choices
from suite.report.collect import collect
from suite.store import Store, write_json

METRICS = ("recall@10", "ndcg@10")
USERS = 40


def add_trial(store: Store, method: str, row: str, seed: int, test_hits: float, valid: float) -> None:
    hits = (np.arange(USERS) < test_hits * USERS).astype(float)
    per_user = pd.DataFrame(
        {"user": [f"u{i}" for i in range(USERS)], "variant": "default", **{m: hits for m in METRICS}}
    )
    summary = {
        "dataset": "toy",
        "method": method,
        "row": row,
        "seed": seed,
        "users": USERS,
        "n_parameters": 10,
        "train_seconds": 1.0,
        "variants": {"default": {"inference_seconds": 0.1, "valid_metrics": {"ndcg@10": valid}}},
    }
    store.write_trial(f"{row}-{seed}".replace(" ", ""), {}, per_user, pd.DataFrame({"epoch": []}), summary)


def test_the_leaderboard_shows_the_combination_validation_chose(tmp_path):
    store = Store(tmp_path)
    for seed in (0, 1):
        # the best on test is the worst on validation: the leaderboard must not show it
        add_trial(store, "tiger", "tiger [d_model=16]", seed, test_hits=0.9, valid=0.01)
        add_trial(store, "tiger", "tiger [d_model=32]", seed, test_hits=0.5, valid=0.05 + seed * 0.01)
        add_trial(store, "tiger", "tiger [d_model=64]", seed, test_hits=0.6, valid=0.04)
        add_trial(store, "pop", "pop", seed, test_hits=0.2, valid=0.02)
    write_json(tmp_path / "evaluation.json", {"metrics": list(METRICS), "ks": [10], "select_metric": "ndcg@10"})

    choice = grid_choices(collect(store, METRICS).summaries)["tiger"]
    assert choice.chosen == "tiger [d_model=32]"
    assert choice.valid["tiger [d_model=32]"] == pytest.approx(0.055)

    markdown = build_report(tmp_path)
    body = markdown.split("\n\n")[0]
    assert "tiger [d_model=32] (best of 3 on validation)" in body
    assert "d_model=16" not in body and "d_model=64" not in body
    grid = (tmp_path / "grids" / "tiger.md").read_text()
    assert "tiger [d_model=32] (chosen)" in grid
    assert grid.count("(not selected)") == 2
    assert "Grid of 3 combinations" in grid
