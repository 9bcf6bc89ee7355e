"""Metrics at report time: the store keeps ranked lists, so changing the metrics and cut-offs
rebuilds every table without training; trials stored before lists were kept give the metrics
they hold, and the caption says which rows lack which."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from suite.data.prepare import prepare
from suite.report.build import build_report
from suite.store import Store
from suite.trial import run_trial
from suite.types import EvaluationConfig
from tests.tiny_trials import TINY, tiny_spec


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path)
    specs = [tiny_spec("pop"), dataclasses.replace(tiny_spec("madrec", tokenizer={"name": "item-id"}), method="ids")]
    for spec in specs:
        run_trial(spec, store)
    data = prepare(TINY)
    store.write_popularity(TINY.name, data.item_counts(), data.n_users)
    store.write_matrix([spec.key for spec in specs])
    return store


def trial_files(store: Store) -> dict[str, float]:
    return {str(path): path.stat().st_mtime_ns for path in (store.root / "trials").rglob("*") if path.is_file()}


def test_new_metrics_and_cut_offs_rebuild_the_tables_without_training(store):
    store.write_evaluation(EvaluationConfig(ks=(10,), metrics=("recall@10",)))
    build_report(store.root)
    assert "R@10" in store.read_markdown("leaderboard") and "MRR" not in store.read_markdown("leaderboard")
    before = trial_files(store)
    metrics = ("mrr@20", "ndcg@10", "coverage@10", "popularity@10", "novelty@10")
    store.write_evaluation(EvaluationConfig(ks=(5, 10, 20), metrics=metrics))
    markdown = build_report(store.root)
    assert trial_files(store) == before  # nothing retrained, nothing rewritten
    header = markdown.splitlines()[0]
    for label in ("MRR@20", "N@10", "Cov@10", "ARP@10", "Nov@10"):
        assert f"ml-100k {label}" in header
    assert "Cov@10: one value per trial for the whole list set (mean over seeds), not tested." in markdown
    cells = pd.read_csv(store.root / "leaderboard.csv").set_index(["row", "metric"])
    assert np.isnan(cells.loc[("pop", "coverage@10"), "p_value"])
    assert cells.loc[("pop", "coverage@10"), "mean"] == pytest.approx(10 / prepare(TINY).n_items)  # one list for all
    # pop recommends the most popular items: no list leans on popularity more
    assert cells.loc[("pop", "popularity@10"), "mean"] >= cells.loc[("ids", "popularity@10"), "mean"]


def test_a_trial_stored_before_ranked_lists_gives_the_metrics_it_holds(store):
    key = store.current_keys().pop()
    summary = store.read_summary(key)
    legacy = pd.DataFrame({"user": [f"u{i}" for i in range(40)], "variant": "default", "recall@10": 1.0})
    store.write_trial("legacy", {}, legacy, pd.DataFrame({"epoch": []}), {**summary, "row": "old", "key": "legacy"})
    store.write_matrix([*store.current_keys(), "legacy"])
    store.write_evaluation(EvaluationConfig(ks=(10,), metrics=("recall@10", "mrr@10")))
    markdown = build_report(store.root)
    old = next(line for line in markdown.splitlines() if line.startswith("| old "))
    assert "1.0000" in old and "–" in old
    assert "Stored without ranked lists, so without these metrics (–): old: MRR@10." in markdown
