"""Every registered method gets a smoke test: a tiny trial on a slice of ML-100K, on CPU."""

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from suite.matrix import TrialSpec, canonical_json
from suite.metrics import target_ranks
from suite.registry import get_method, known_methods
from suite.scoring import score_variant
from suite.store import Store
from suite.trial import run_trial
from suite.types import DatasetConfig
from tests.tiny_trials import tiny_spec


@pytest.mark.parametrize("method", known_methods())
def test_smoke_every_registered_method(method, tmp_path):
    spec = tiny_spec(method)
    store = Store(tmp_path)
    summary = run_trial(spec, store)
    folder = store.trial_dir(spec.key)
    files = {"spec.json", "per_user.parquet", "summary.json", "log.csv"}
    trained = "epochs" in get_method(method).defaults  # its last epoch's checkpoint is kept
    on_sids = summary["tokenizer"] is not None  # and the semantic IDs it trained on
    kept = ({"final.pt"} if trained else set()) | ({"semantic_ids.npz"} if on_sids else set())
    assert {p.name for p in folder.iterdir()} == files | kept
    stored = pd.read_parquet(folder / "per_user.parquet")
    assert len(stored) == 40
    assert list(stored.columns) == ["user", "variant", "target", "rank", "items"]
    lists = np.stack(stored["items"].to_numpy())
    assert lists.shape == (40, spec.list_length) and lists.dtype == np.int32
    assert (target_ranks(lists, stored["target"].to_numpy()) == stored["rank"]).all()
    per_user = score_variant(stored, ["recall@10", "ndcg@10"], None).per_user
    assert per_user["recall@10"].between(0, 1).all()
    assert per_user["ndcg@10"].le(per_user["recall@10"]).all()
    metrics = summary["variants"]["default"]["metrics"]
    assert metrics["recall@10"] == pytest.approx(per_user["recall@10"].mean())
    assert json.loads((folder / "summary.json").read_text())["status"] == "ok"
    assert TrialSpec.from_dict(json.loads((folder / "spec.json").read_text())) == spec
    log = pd.read_csv(folder / "log.csv")
    if len(log):  # a trained method: each epoch's training and validation seconds, within the trial's
        assert (log["training_seconds"] > 0).all() and (log["validation_seconds"] > 0).all()
        assert summary["validation_seconds"] == pytest.approx(log["validation_seconds"].sum())
        assert summary["validation_seconds"] + log["training_seconds"].sum() <= summary["train_seconds"]


@pytest.mark.parametrize("method", known_methods())
def test_same_seed_gives_identical_per_user_metrics(method, tmp_path):
    first = run_trial(tiny_spec(method, seed=3), Store(tmp_path / "a"))
    second = run_trial(tiny_spec(method, seed=3), Store(tmp_path / "b"))
    a = Store(tmp_path / "a").read_per_user(first["key"])
    b = Store(tmp_path / "b").read_per_user(second["key"])
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize("method", ["sasrec", "llada-rec"])
def test_the_default_variants_validation_scores_are_a_fresh_decode_of_the_best_epoch(method, tmp_path, monkeypatch):
    """The best epoch's logged validation scores stand for the default variant's: the same as
    decoding the validation users again with the restored weights."""
    import suite.trial

    logged = run_trial(tiny_spec(method, seed=1), Store(tmp_path / "a"))
    monkeypatch.setattr(suite.trial, "_logged_validation", lambda run: None)
    decoded = run_trial(tiny_spec(method, seed=1), Store(tmp_path / "b"))
    assert logged["variants"]["default"]["valid_metrics"]
    assert logged["variants"]["default"]["valid_metrics"] == pytest.approx(
        decoded["variants"]["default"]["valid_metrics"]
    )


def test_pop_ranks_by_training_counts(tmp_path):
    summary = run_trial(tiny_spec("pop"), Store(tmp_path))
    assert summary["n_parameters"] == 0
    assert np.isclose(summary["variants"]["default"]["nfe_per_user"], 0.0)


def test_tokenizer_figures_reach_the_summary(tmp_path):
    import suite.registry as registry
    from suite.protocol import MethodBase, TopK
    from suite.registry import register

    @register("test-sid-user")
    class SidUser(MethodBase):
        defaults = {"tokenizer": {"name": "random", "levels": 2, "codebook_size": 4}}

        def fit(self, run):
            self.ids = run.semantic_ids(self.params["tokenizer"])

        def recommend(self, histories, k, **inference):
            items = np.tile(np.arange(k), (len(histories), 1))
            return TopK(items=items, scores=np.zeros(items.shape, dtype=np.float32))

    try:
        summary = run_trial(tiny_spec("test-sid-user"), Store(tmp_path))
    finally:
        registry.methods.entries.pop("test-sid-user")
    report = summary["tokenizer"]
    assert report["tokenizer"] == "random(codebook_size=4,levels=2)"
    assert report["codebook_sizes"][:2] == [4, 4]
    assert {"collision_rate", "max_items_per_sid", "utilization", "entropy_bits", "fit_seconds"} <= set(report)


@pytest.mark.parametrize("method", [m for m in known_methods() if "precision" in get_method(m).defaults])
def test_bf16_mixed_precision_trains_and_decodes(method, tmp_path):
    """bf16 autocast is meant for GPUs; CPU autocast runs the same code path here."""
    spec = tiny_spec(method)
    spec = dataclasses.replace(spec, params_json=canonical_json({**spec.params, "precision": "bf16"}))
    summary = run_trial(spec, Store(tmp_path))
    assert summary["params"]["precision"] == "bf16"
    assert np.isfinite(summary["variants"]["default"]["metrics"]["ndcg@10"])
    log = pd.read_csv(Store(tmp_path).trial_dir(spec.key) / "log.csv")
    assert np.isfinite(log["loss"]).all()


def test_a_catalog_smaller_than_the_lists_gives_whole_catalog_lists_padded_with_no_item(tmp_path):
    rows = [f"u{u}\ti{(u + j) % 6}\t{j}" for u in range(12) for j in range(5)]
    (tmp_path / "six.inter").write_text("user_id:token\titem_id:token\ttimestamp:float\n" + "\n".join(rows) + "\n")
    dataset = DatasetConfig(name="six", loader="atomic", path=str(tmp_path), history=4)
    for method in ("pop", "sasrec"):
        spec = dataclasses.replace(tiny_spec(method), dataset=dataset)
        run_trial(spec, Store(tmp_path / "store"))
        stored = Store(tmp_path / "store").read_per_user(spec.key)
        lists = np.stack(stored["items"].to_numpy())
        assert lists.shape == (12, 100)
        assert (np.sort(lists[:, :6], axis=1) == np.arange(6)).all() and (lists[:, 6:] == -1).all()
