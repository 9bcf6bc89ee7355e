"""A trial that asks other decoding variants of a stored training is not trained again: a
stored trial that covers its variants gives its files; a stored final checkpoint gives the
trained model, from which only decoding runs."""

from dataclasses import replace

import pandas as pd
import pytest
import yaml

from suite.cli import main
from suite.config import load_config
from suite.data.prepare import prepare
from suite.matrix import Variant, canonical_json, expand
from suite.reuse import reuse_stored_trainings
from suite.semantic_ids.storage import load_semantic_ids
from suite.store import Store
from suite.trial import run_trial
from suite.types import Resources
from tests.tiny_trials import tiny_spec

DEFAULT = Variant("default")
GREEDY = Variant("beam=1", canonical_json({"beam": 1}))
ONE_STEP = Variant("steps=1", canonical_json({"steps": 1}))


def llada(*variants: Variant, seed: int = 0):
    return replace(tiny_spec("llada-rec", seed=seed, epochs=2), variants=variants)


def no_epoch(row):
    raise AssertionError(f"epoch {row['epoch']} trained")


def test_the_training_key_leaves_out_the_variants_and_where_the_trial_runs():
    spec = llada(DEFAULT, GREEDY)
    assert spec.training_key == llada(DEFAULT).training_key
    assert spec.training_key == replace(spec, device="cuda", resources=Resources(cpu=4, gpu=1)).training_key
    assert spec.key != llada(DEFAULT).key
    assert spec.training_key != llada(DEFAULT, GREEDY, seed=1).training_key
    assert spec.training_key != replace(spec, params_json=canonical_json({**spec.params, "dropout": 0.3})).training_key


def test_the_training_key_leaves_out_the_rows_names_which_the_parameters_spell_out():
    spec = llada(DEFAULT)
    ablated = replace(spec, method="llada-rec-copy", grid_label="dropout=0.3")
    assert ablated.key != spec.key and ablated.training_key == spec.training_key
    assert spec.training_key != replace(spec, method_class="madrec").training_key


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A store with one complete LLaDA-Rec trial decoded under two variants."""
    store = Store(tmp_path_factory.mktemp("store"))
    source = llada(DEFAULT, GREEDY)
    run_trial(source, store)
    return store, source


def test_a_complete_trial_keeps_its_last_epoch_as_the_final_checkpoint_and_its_sids(trained):
    store, source = trained
    assert store.final_checkpoint_file(source.key).is_file()
    assert not store.checkpoint_file(source.key).exists()
    kept = load_semantic_ids(store.semantic_ids_file(source.key), source.params["tokenizer"])
    assert kept.codes.shape[0] == prepare(source.dataset).n_items


def no_refit(*args):
    raise AssertionError("the tokenizer was fitted again")


def test_a_subset_of_stored_variants_is_written_from_the_stored_trial(trained):
    store, source = trained
    subset = llada(GREEDY)
    store.checkpoint_file(subset.key).parent.mkdir(parents=True)
    store.checkpoint_file(subset.key).write_bytes(b"an interrupted run of this key")
    reuse = reuse_stored_trainings(store, [subset], [subset])
    assert reuse.derived == {subset.key: source.key} and not reuse.primed
    stored = store.read_per_user(source.key)
    pd.testing.assert_frame_equal(
        store.read_per_user(subset.key), stored[stored["variant"] == "beam=1"].reset_index(drop=True)
    )
    summary, original = store.read_summary(subset.key), store.read_summary(source.key)
    assert list(summary["variants"]) == ["beam=1"]
    assert summary["variants"]["beam=1"] == original["variants"]["beam=1"]
    assert (summary["derived_from"], summary["key"]) == (source.key, subset.key)
    assert (summary["best_epoch"], summary["train_seconds"]) == (original["best_epoch"], original["train_seconds"])
    pd.testing.assert_frame_equal(store.read_log(subset.key), store.read_log(source.key))
    assert not store.checkpoint_file(subset.key).exists()
    assert not store.final_checkpoint_file(subset.key).exists()  # it trained nothing of its own
    assert store.semantic_ids_file(subset.key).read_bytes() == store.semantic_ids_file(source.key).read_bytes()


def test_a_new_variant_decodes_from_the_final_checkpoint_without_training(trained, capsys, monkeypatch):
    """Nor is the tokenizer fitted again: the model decodes with the codes it learned."""
    store, source = trained
    more = llada(DEFAULT, GREEDY, ONE_STEP)
    reuse = reuse_stored_trainings(store, [more], [more])
    assert reuse.primed == {more.key: source.key} and not reuse.derived
    assert store.semantic_ids_file(more.key).read_bytes() == store.semantic_ids_file(source.key).read_bytes()
    monkeypatch.setattr("suite.context.catalog_semantic_ids", no_refit)
    summary = run_trial(more, store, on_epoch=no_epoch)
    assert "after epoch 2" in capsys.readouterr().out
    stored, decoded = store.read_per_user(source.key), store.read_per_user(more.key)
    pd.testing.assert_frame_equal(decoded[decoded["variant"] != "steps=1"].reset_index(drop=True), stored)
    assert summary["best_epoch"] == store.read_summary(source.key)["best_epoch"]
    assert set(summary["variants"]) == {"default", "beam=1", "steps=1"}


def test_an_ablation_rows_trial_serves_the_row_that_takes_its_setting_as_default(trained, tmp_path):
    """A setting chosen on an ablation's trials becomes the default row's: the same model under
    another row name, written from the stored trial without training."""
    store, source = trained
    ablated = Store(tmp_path)
    ablation = replace(source, grid_label="beam=1 first")
    ablated.write_trial(
        ablation.key,
        ablation.to_dict(),
        store.read_per_user(source.key),
        store.read_log(source.key),
        {**store.read_summary(source.key), "key": ablation.key, "row": ablation.row},
    )
    default_row = replace(source, method="llada-rec-default", variants=(DEFAULT,))
    reuse = reuse_stored_trainings(ablated, [default_row], [default_row])
    assert reuse.derived == {default_row.key: ablation.key}
    summary = ablated.read_summary(default_row.key)
    assert (summary["method"], summary["row"], summary["derived_from"]) == (
        "llada-rec-default",
        "llada-rec-default",
        ablation.key,
    )


def test_another_training_is_not_taken_in(trained):
    store, _ = trained
    other = llada(DEFAULT, seed=1)
    reuse = reuse_stored_trainings(store, [other], [other])
    assert not reuse.derived and not reuse.primed
    assert not store.checkpoint_file(other.key).exists()


@pytest.mark.slow
def test_adding_a_decoding_variant_to_a_finished_run_trains_nothing(tmp_path, capsys):
    """`suite run` again after a variant joins the YAML: the new trial decodes from the first
    one's final checkpoint, at the same best epoch."""
    config = {
        "experiment": "grown",
        "results_dir": str(tmp_path / "results"),
        "seeds": [0],
        "max_failures": 0,
        "datasets": {"ml-100k": {"max_users": 40, "history": 10}},
        "methods": {
            "madrec": {
                "epochs": 2,
                "layers": 1,
                "d_model": 32,
                "heads": 2,
                "d_kv": 16,
                "d_ff": 64,
                "windows_per_user": 2,
            }
        },
    }
    path = tmp_path / "grown.yaml"
    path.write_text(yaml.safe_dump(config))
    assert main(["run", str(path)]) == 0
    config["methods"]["madrec"]["variants"] = {"beam": [1]}
    path.write_text(yaml.safe_dump(config))
    capsys.readouterr()
    assert main(["run", str(path)]) == 0
    out = capsys.readouterr().out
    assert "1 trials decode from the final checkpoint of a stored trial of the same training" in out
    store = Store(tmp_path / "results" / "grown")
    summaries = [store.read_summary(key) for key in store.trial_keys()]
    assert sorted(len(s["variants"]) for s in summaries) == [1, 2]
    assert len({s["best_epoch"] for s in summaries}) == 1


def test_a_run_without_training_takes_in_copied_trials_and_writes_the_tables(tmp_path, capsys):
    """Trials copied in from another store's run join this configuration's tables; nothing
    trains, and the matrix names every trial of the configuration."""
    config = {
        "experiment": "merged",
        "results_dir": str(tmp_path / "results"),
        "seeds": [0],
        "datasets": {"ml-100k": {"max_users": 40, "history": 10}},
        "methods": {"pop": {}, "sasrec": {"epochs": 1, "hidden_size": 16, "inner_size": 32}},
    }
    path = tmp_path / "merged.yaml"
    path.write_text(yaml.safe_dump(config))
    specs = expand(load_config(path))
    store = Store(tmp_path / "results" / "merged")
    (pop,) = [spec for spec in specs if spec.method == "pop"]
    run_trial(pop, store)  # as if copied in from the store where it ran
    capsys.readouterr()
    assert main(["run", str(path), "--no-training"]) == 0
    out = capsys.readouterr().out
    assert "trained 0, skipped 1 complete" in out and "left 1 not selected" in out
    assert store.trial_keys() == [pop.key]
    assert store.current_keys() == {spec.key for spec in specs}
    assert "| pop " in store.read_markdown("leaderboard")
