"""Per-epoch tracking through Ray Tune callbacks, as `tracking:` asks: TensorBoard event files
under the experiment folder, and MLflow runs (one per trial) in a local store or on a server.

Each epoch a trial reports its training loss, every validation metric it logged and the
epoch's wall seconds (`suite.runner`); the callbacks see each report in the driver.
"""

from __future__ import annotations

import math
import os
from typing import Any

from ray import tune
from ray.air.integrations.mlflow import MLflowLoggerCallback

from suite.store import Store
from suite.types import TrackingConfig

# the keys of a trial's reports that are ours (Ray adds its own bookkeeping to every result)
TRACKED_PREFIXES = ("loss", "valid_", "test_", "epoch_seconds", "training_seconds", "validation_seconds")


class TensorBoardCallback(tune.Callback):
    """One event folder per trial under `folder`, each tracked value a scalar at its epoch."""

    def __init__(self, folder: os.PathLike) -> None:
        self.folder = folder
        self.writers: dict[str, Any] = {}

    def on_trial_result(self, iteration: int, trials: list, trial: Any, result: dict, **info: Any) -> None:
        from torch.utils.tensorboard import SummaryWriter

        name = trial.config["trial"]
        if name not in self.writers:
            self.writers[name] = SummaryWriter(log_dir=str(os.path.join(self.folder, name)))
        writer = self.writers[name]
        for key, value in result.items():
            if key.startswith(TRACKED_PREFIXES) and isinstance(value, int | float) and math.isfinite(value):
                writer.add_scalar(key, value, global_step=int(result.get("epoch", 0)))
        writer.flush()

    def on_trial_complete(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        writer = self.writers.pop(trial.config["trial"], None)
        if writer is not None:
            writer.close()

    on_trial_error = on_trial_complete


class MlflowCallback(MLflowLoggerCallback):
    """Ray Tune's MLflow callback, with metric names MLflow accepts (`valid_ndcg_at_10`: no `@`)."""

    def log_trial_result(self, iteration: int, trial: Any, result: dict) -> None:
        tracked = {key.replace("@", "_at_"): value for key, value in result.items()}
        super().log_trial_result(iteration, trial, tracked)


def tracking_callbacks(tracking: TrackingConfig, store: Store, experiment: str) -> list:
    """The Ray Tune callbacks that `tracking` turns on."""
    callbacks: list = []
    if tracking.tensorboard:
        callbacks.append(TensorBoardCallback(store.tensorboard_dir()))
    if tracking.mlflow:
        uri = tracking.mlflow_uri or store.mlflow_uri()
        if uri.startswith("file:"):
            # MLflow 3 keeps its folder store only on request; a local store needs no server
            os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
        callbacks.append(MlflowCallback(tracking_uri=uri, experiment_name=experiment, save_artifact=False))
    return callbacks
