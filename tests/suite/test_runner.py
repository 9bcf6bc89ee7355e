"""Through Ray Tune end to end: the store, resume after a lost trial, and the report."""

import json
import os

import pytest

from suite.cli import main
from suite.config import parse_config
from suite.matrix import expand
from suite.runner import run_experiment
from suite.store import Store

pytestmark = pytest.mark.slow  # trials through a local Ray

TINY = {
    "experiment": "tiny",
    "seeds": [0, 1],
    "max_failures": 0,
    "datasets": {"ml-100k": {"max_users": 60, "history": 20}},
    "methods": {"pop": {}, "sasrec": {"epochs": 2, "hidden_size": 16, "inner_size": 32}},
    "tracking": {"tensorboard": True, "mlflow": True},
}


@pytest.fixture(scope="module")
def local_ray():
    import ray

    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR")
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def finished(local_ray, tmp_path_factory):
    root = tmp_path_factory.mktemp("results") / "tiny"
    config = parse_config(TINY, "tiny.yaml")
    specs = expand(config)
    outcome = run_experiment(config, specs, root)
    return config, specs, root, outcome


def test_every_trial_completes_through_ray_tune(finished):
    import ray

    _, specs, root, outcome = finished
    assert (outcome.trained, outcome.skipped, outcome.failed) == (4, 0, [])
    assert ray.is_initialized()  # the run left connected the Ray that the fixture, not the run, started
    store = Store(root)
    assert store.trial_keys() == sorted(spec.key for spec in specs)
    for name in ("leaderboard.md", "leaderboard.tex", "leaderboard.csv", "manifest.json", "datasets.md"):
        assert (root / name).is_file(), name
    markdown = (root / "leaderboard.md").read_text()
    assert "| pop" in markdown and "| sasrec" in markdown
    assert "paired wilcoxon test" in markdown


# These two read the tracking of the fixture's run, before the tests below train again.
def test_tensorboard_event_files_hold_every_epoch(finished):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    _, specs, root, _ = finished
    (sasrec,) = [
        folder for folder in (root / "tensorboard").iterdir() if "sasrec" in folder.name and "-s0-" in folder.name
    ]
    events = EventAccumulator(str(sasrec))
    events.Reload()
    assert {"loss", "valid_ndcg@10", "valid_recall@10", "epoch_seconds"} <= set(events.Tags()["scalars"])
    assert [event.step for event in events.Scalars("loss")] == [1, 2]
    assert all(event.value > 0 for event in events.Scalars("epoch_seconds"))


def test_mlflow_runs_hold_every_epoch(finished):
    pytest.importorskip("mlflow")
    from mlflow.tracking import MlflowClient

    _, _, root, _ = finished
    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    client = MlflowClient((root / "mlruns").as_uri())
    experiment = client.get_experiment_by_name("tiny")
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == 4  # pop and sasrec, two seeds each
    histories = [client.get_metric_history(run.info.run_id, "loss") for run in runs]
    assert sorted(len(history) for history in histories) == [0, 0, 2, 2]  # sasrec's two epochs; pop trains none
    sasrec = next(run for run, history in zip(runs, histories, strict=True) if history)
    assert len(client.get_metric_history(sasrec.info.run_id, "valid_ndcg_at_10")) == 2


def test_rerun_trains_only_the_trial_whose_summary_is_gone(finished):
    config, specs, root, _ = finished
    store = Store(root)
    untouched = {s.key: store.trial_dir(s.key).joinpath("summary.json").stat().st_mtime_ns for s in specs[1:]}
    store.trial_dir(specs[0].key).joinpath("summary.json").unlink()
    outcome = run_experiment(config, specs, root)
    assert (outcome.trained, outcome.skipped) == (1, 3)
    assert store.is_complete(specs[0].key)
    for key, mtime in untouched.items():
        assert store.trial_dir(key).joinpath("summary.json").stat().st_mtime_ns == mtime


def test_a_run_recomputes_only_the_trial_whose_files_are_damaged(finished, capsys):
    config, specs, root, _ = finished
    store = Store(root)
    victim = specs[-1]
    untouched = {s.key: store.trial_dir(s.key).joinpath("summary.json").stat().st_mtime_ns for s in specs[:-1]}
    per_user = store.trial_dir(victim.key) / "per_user.parquet"
    per_user.write_bytes(per_user.read_bytes()[:100])  # truncated
    outcome = run_experiment(config, specs, root)
    assert (outcome.trained, outcome.skipped) == (1, 3)
    assert f"trial {victim.key} ({victim.row}, seed {victim.seed}): {per_user}: not a readable parquet" in (
        capsys.readouterr().out
    )
    assert store.is_complete(victim.key)
    for key, mtime in untouched.items():
        assert store.trial_dir(key).joinpath("summary.json").stat().st_mtime_ns == mtime


def test_a_selected_run_trains_only_the_chosen_trials_and_reports_them(local_ray, tmp_path):
    root = tmp_path / "tiny"
    config = parse_config(TINY, "tiny.yaml")
    specs = expand(config)
    chosen = [spec for spec in specs if spec.method == "pop" and spec.seed == 0]
    outcome = run_experiment(config, specs, root, selected={spec.key for spec in chosen})
    assert (outcome.trained, outcome.skipped, outcome.unselected) == (1, 0, 3)
    assert Store(root).trial_keys() == [chosen[0].key]
    assert json.loads((root / "manifest.json").read_text())["sittings"][-1]["trials"]["not_selected"] == 3
    assert "| pop" in (root / "leaderboard.md").read_text()


def test_no_temporary_files_are_left_behind(finished):
    _, _, root, _ = finished
    assert not [p for p in root.rglob("*") if p.name.endswith(".tmp")]


def test_report_rebuilds_the_same_tables_without_training(finished, capsys):
    _, _, root, _ = finished
    before = (root / "leaderboard.md").read_text()
    (root / "leaderboard.md").unlink()
    assert main(["report", str(root)]) == 0
    assert (root / "leaderboard.md").read_text() == before
    assert "| sasrec" in capsys.readouterr().out


def test_rerun_trains_from_the_start_even_over_an_epoch_checkpoint(finished):
    config, specs, root, _ = finished
    spec = next(s for s in specs if s.method == "sasrec")
    store = Store(root)
    store.checkpoint_file(spec.key).write_bytes(b"not a checkpoint")  # resuming from it would fail
    store.semantic_ids_file(spec.key).write_bytes(b"codes of an earlier fit")  # a rerun fits again
    outcome = run_experiment(config, specs, root, rerun=True, selected={spec.key})
    assert (outcome.trained, outcome.failed) == (1, [])
    assert not store.checkpoint_file(spec.key).exists()
    assert not store.semantic_ids_file(spec.key).exists()
