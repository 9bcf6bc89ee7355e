"""tracking: each epoch's loss, validation metrics and seconds reach TensorBoard event files
under the experiment folder and a local MLflow store, through Ray Tune's callbacks."""

import os

import pytest

from suite.config import parse_config
from suite.errors import ConfigError
from suite.matrix import expand
from suite.runner import run_experiment
from suite.types import TrackingConfig

TRACKED = {
    "experiment": "tracked",
    "seeds": [0],
    "max_failures": 0,
    "datasets": {"ml-100k": {"max_users": 60, "history": 20}},
    "methods": {"sasrec": {"epochs": 2, "patience": 5, "hidden_size": 16, "inner_size": 32}},
    "tracking": {"tensorboard": True, "mlflow": True},
}


def test_tracking_is_parsed_and_checked():
    assert parse_config({**TRACKED}, "t.yaml").tracking == TrackingConfig(tensorboard=True, mlflow=True)
    server = {**TRACKED, "tracking": {"mlflow": {"tracking_uri": "http://127.0.0.1:5000"}}}
    assert parse_config(server, "t.yaml").tracking.mlflow_uri == "http://127.0.0.1:5000"
    with pytest.raises(ConfigError, match="tracking.tensorboard: expected bool, got 'yes'"):
        parse_config({**TRACKED, "tracking": {"tensorboard": "yes"}}, "t.yaml")
    with pytest.raises(ConfigError, match=r"tracking.wandb: unknown key \(allowed: tensorboard, mlflow\)"):
        parse_config({**TRACKED, "tracking": {"wandb": True}}, "t.yaml")


@pytest.fixture(scope="module")
def tracked_run(tmp_path_factory):
    import ray

    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR")
    root = tmp_path_factory.mktemp("results") / "tracked"
    config = parse_config(TRACKED, "tracked.yaml")
    try:
        outcome = run_experiment(config, expand(config), root)
    finally:
        ray.shutdown()
    assert outcome.trained == 1
    return root


@pytest.mark.slow  # a trial through Ray Tune
def test_tensorboard_event_files_hold_every_epoch(tracked_run):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    (folder,) = (tracked_run / "tensorboard").iterdir()
    events = EventAccumulator(str(folder))
    events.Reload()
    tags = set(events.Tags()["scalars"])
    assert {"loss", "valid_ndcg@10", "valid_recall@10", "epoch_seconds"} <= tags
    assert [event.step for event in events.Scalars("loss")] == [1, 2]
    assert all(event.value > 0 for event in events.Scalars("epoch_seconds"))


@pytest.mark.slow  # a trial through Ray Tune
def test_mlflow_runs_hold_every_epoch(tracked_run):
    pytest.importorskip("mlflow")
    from mlflow.tracking import MlflowClient

    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    client = MlflowClient((tracked_run / "mlruns").as_uri())
    experiment = client.get_experiment_by_name("tracked")
    (run,) = client.search_runs([experiment.experiment_id])
    assert [metric.step for metric in client.get_metric_history(run.info.run_id, "loss")] == [1, 2]
    assert len(client.get_metric_history(run.info.run_id, "valid_ndcg_at_10")) == 2
