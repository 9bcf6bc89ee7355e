"""The leaderboard on a synthetic store with known per-user values."""

import numpy as np
import pandas as pd
import pytest

from suite.errors import SuiteError
from suite.report.build import build_report
from suite.report.collect import collect
from suite.report.leaderboard import build_leaderboard
from suite.report.render import footer
from suite.store import Store, write_json
from suite.types import EvaluationConfig

METRICS = ("recall@1", "recall@5", "recall@10", "ndcg@5", "ndcg@10")
USERS = 60


def add_trial(store: Store, row: str, seed: int, hits: np.ndarray) -> None:
    key = f"{row}-{seed}"
    values = {m: hits.astype(float) for m in METRICS}
    per_user = pd.DataFrame({"user": [f"u{i}" for i in range(USERS)], "variant": "default", **values})
    summary = {
        "dataset": "toy",
        "row": row,
        "seed": seed,
        "users": USERS,
        "n_parameters": 1000,
        "train_seconds": 2.0,
        "variants": {"default": {"inference_seconds": 0.06}},
    }
    store.write_trial(key, {}, per_user, pd.DataFrame({"epoch": []}), summary)


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path)
    strong = np.ones(USERS, dtype=bool)
    strong[:5] = False
    close = strong.copy()
    close[5] = False  # one user worse than `strong`: not significant
    for seed in (0, 1):
        add_trial(store, "strong", seed, strong)
        add_trial(store, "close", seed, close)
        add_trial(store, "weak", seed, np.arange(USERS) % 10 == seed)  # 10% hits, varies by seed
    write_json(tmp_path / "evaluation.json", {"metrics": list(METRICS), "ks": [1, 5, 10]})
    return store


def test_best_second_and_significance(store):
    board = build_leaderboard(collect(store), EvaluationConfig())
    cells = board.cells.set_index(["row", "metric"])
    assert cells.loc[("strong", "ndcg@10"), "place"] == 1
    assert cells.loc[("close", "ndcg@10"), "place"] == 2
    assert not cells.loc[("close", "ndcg@10"), "significant"]
    assert cells.loc[("weak", "ndcg@10"), "significant"]
    assert cells.loc[("weak", "ndcg@10"), "mean"] == pytest.approx(0.1)
    assert cells.loc[("strong", "ndcg@10"), "std"] == pytest.approx(0.0)
    assert cells.loc[("weak", "ndcg@10"), "std"] == pytest.approx(0.0)  # 6 of 60 users in each seed
    assert board.comparisons == 2 * len(METRICS)
    assert board.rows == ["weak", "close", "strong"]


def test_markdown_marks_and_footer(store):
    markdown = build_report(store.root)
    lines = {line.split("|")[1].strip(): line for line in markdown.splitlines() if line.startswith("| ")}
    assert "**0.9167 ± 0.0000**" in lines["strong"]
    assert "<u>0.9000 ± 0.0000</u>" in lines["close"]
    assert "†" not in lines["close"]
    assert "0.1000 ± 0.0000†" in lines["weak"]
    assert "1,000" in lines["strong"] and "1.000" in lines["strong"]  # params and s/1k users
    assert "paired wilcoxon test" in markdown and "holm correction" in markdown and "alpha = 0.05" in markdown
    assert "Users: toy: 60" in markdown


def test_tex_uses_booktabs_and_csv_has_p_values(store):
    build_report(store.root)
    tex = (store.root / "leaderboard.tex").read_text()
    assert "\\toprule" in tex and "\\midrule" in tex and "\\bottomrule" in tex
    assert "\\textbf{0.9167 $\\pm$ 0.0000}" in tex and "\\underline{" in tex and "$^\\dagger$" in tex
    csv = pd.read_csv(store.root / "leaderboard.csv")
    assert {"p_value", "p_adjusted", "significant", "n_parameters"} <= set(csv.columns)


def test_failed_trials_are_listed_not_shown(store):
    folder = store.trial_dir("broken")
    folder.mkdir(parents=True)
    (folder / "error.txt").write_text("RuntimeError: boom\n\nTraceback ...")
    markdown = build_report(store.root)
    assert "Failed trials, not shown: broken (RuntimeError: boom)." in markdown


def test_report_on_a_folder_without_trials(tmp_path):
    with pytest.raises(SuiteError, match="not a results folder"):
        build_report(tmp_path)


def test_trials_of_an_earlier_configuration_are_left_out(store):
    write_json(store.root / "matrix.json", {"keys": ["strong-0", "strong-1", "weak-0", "weak-1"]})
    markdown = build_report(store.root)
    assert "| strong" in markdown and "| weak" in markdown and "| close" not in markdown


def test_a_row_with_fewer_seeds_is_tested_on_the_seeds_it_shares(tmp_path):
    """`partial` (seed 0 only) repeats `full`'s seed 0 user for user; `full`'s seed 1 differs.
    Against the two-seed average it would differ for most users; on the shared seed it is equal."""
    store = Store(tmp_path)
    seed0 = np.arange(USERS) % 2 == 0
    add_trial(store, "full", 0, seed0)
    add_trial(store, "full", 1, np.arange(USERS) % 10 == 0)
    add_trial(store, "partial", 0, seed0)
    add_trial(store, "elsewhere", 2, seed0)  # no seed in common with `full`: not tested
    write_json(tmp_path / "evaluation.json", {"metrics": list(METRICS), "ks": [1, 5, 10]})
    evaluation = EvaluationConfig()
    board = build_leaderboard(collect(store), evaluation, baseline="full")
    cells = board.cells.set_index(["row", "metric"])
    assert cells.loc[("partial", "ndcg@10"), "p_value"] == 1.0
    assert cells.loc[("partial", "ndcg@10"), "mean"] == pytest.approx(0.5)
    assert cells.loc[("full", "ndcg@10"), "mean"] == pytest.approx(0.3)
    assert np.isnan(cells.loc[("elsewhere", "ndcg@10"), "p_value"])
    assert board.comparisons == len(METRICS)
    assert "Rows with fewer seeds: elsewhere (1), partial (1); their tests pair only" in footer(board, evaluation, [])


def test_rows_with_equal_means_share_their_place(tmp_path):
    """An ablation row that is the full model under another name must not be ranked below it."""
    store = Store(tmp_path)
    best = np.arange(USERS) % 2 == 0
    add_trial(store, "model", 0, best)
    add_trial(store, "model renamed", 0, best)
    add_trial(store, "worse", 0, np.arange(USERS) % 4 == 0)
    write_json(tmp_path / "evaluation.json", {"metrics": list(METRICS), "ks": [1, 5, 10]})
    cells = build_leaderboard(collect(store), EvaluationConfig()).cells.set_index(["row", "metric"])
    places = {row: cells.loc[(row, "ndcg@10"), "place"] for row in ("model", "model renamed", "worse")}
    assert places == {"model": 1, "model renamed": 1, "worse": 2}
    markdown = build_report(store.root)
    assert markdown.count("**0.5000**") == len(METRICS) * 2 and "<u>0.2500</u>" in markdown
