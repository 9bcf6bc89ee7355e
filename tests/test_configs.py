"""Every shipped YAML (the default and each preset) validates and expands, with no data on disk."""

from pathlib import Path

import pytest

from suite.cli import main
from suite.config import load_config
from suite.matrix import expand

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted([ROOT / "benchmark.yaml", *(ROOT / "configs").rglob("*.yaml")])


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_dry_run_validates(path, capsys):
    assert main(["run", str(path), "--dry-run"]) == 0
    assert " trials, " in capsys.readouterr().out


def test_paper_presets_exist_for_each_method_paper():
    names = {p.stem for p in (ROOT / "configs" / "paper").glob("*.yaml")}
    assert {"llada-rec-table3", "madrec-table1", "greed-table1"} <= names


def test_the_earlier_defaults_store_holds_its_files_trials_but_the_rows_changed_since():
    """results/reference/ml100k-store/benchmark.yaml, the hand-set default before the fair one:
    copied with its store, it trains only the rows whose keys changed after the store was built
    (the diffusion rows, by `dedup: last` and MH-VQVAE's MSE) and the row added since
    (sasrec-bce); pop, SASRec and TIGER are skipped."""
    store = ROOT / "results" / "reference" / "ml100k-store"
    stored = {p.name for p in (store / "trials").iterdir() if p.is_dir()}
    specs = expand(load_config(store / "benchmark.yaml"))
    assert {s.key for s in specs if s.method_class in ("pop", "sasrec", "tiger")} <= stored
    assert {s.method_class for s in specs if s.key not in stored} == {"llada-rec", "madrec", "greed", "sasrec-bce"}


def test_every_committed_trial_of_the_fair_run_is_one_of_the_default_files():
    """README: a copy of results/reference/fair/trials in results/ml100k is not trained again."""
    stored = {p.name for p in (ROOT / "results" / "reference" / "fair" / "trials").iterdir() if p.is_dir()}
    assert stored and stored <= {s.key for s in expand(load_config(ROOT / "benchmark.yaml"))}


def test_the_tuned_ablations_plain_rows_train_the_default_files_models():
    """configs/tuned-ablations.yaml: its plain rows train the leaderboard's models (the same
    training keys), so a copy of the leaderboard's trials gives them without training
    (suite/reuse.py); only the ablated rows and the authors' rows train models of their own."""
    default = {s.training_key for s in expand(load_config(ROOT / "benchmark.yaml"))}
    specs = expand(load_config(ROOT / "configs" / "tuned-ablations.yaml"))
    plain = {s.training_key for s in specs if s.method in ("llada-rec", "madrec", "greed") and not s.grid_label}
    new = {s.training_key for s in specs} - plain
    assert len(plain) == 9 and plain <= default
    assert {s.method for s in specs if s.training_key in new} == {
        "llada-rec",
        "madrec",
        "llada-rec-authors",
        "madrec-authors",
        "greed-authors",
    }
    assert len(new) == 21 and not new & default
