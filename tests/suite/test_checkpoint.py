"""Epoch checkpoints: a trial stopped mid-training resumes and ends exactly as an unstopped one."""

import numpy as np
import pandas as pd
import pytest
import torch

from suite.checkpoint import EpochCheckpoint
from suite.errors import SuiteError
from suite.registry import get_method, known_methods
from suite.store import Store
from suite.training import train_with_early_stopping
from suite.trial import run_trial
from tests.tiny_trials import tiny_spec

TRAINED = [m for m in known_methods() if "epochs" in get_method(m).defaults]


class Stop(Exception):
    """Stands for a kill in the middle of an epoch."""


def stop_at(epoch: int):
    def on_epoch(row):
        if row["epoch"] == epoch:
            raise Stop

    return on_epoch


def resume_cases() -> list[tuple[str, dict]]:
    cases = [(method, {}) for method in TRAINED]
    # SASRec's default regimen (windows) draws its epochs from a torch generator; recbole's from numpy
    return cases + [("sasrec", {"training": "prefixes"})]


@pytest.mark.slow
@pytest.mark.parametrize(("method", "params"), resume_cases(), ids=lambda value: str(value))
def test_a_stopped_trial_resumes_to_the_results_of_an_unstopped_one(method, params, tmp_path, capsys):
    spec = tiny_spec(method, seed=5, epochs=3, patience=10, **params)
    whole = Store(tmp_path / "whole")
    run_trial(spec, whole)

    resumed = Store(tmp_path / "resumed")
    with pytest.raises(Stop):
        run_trial(spec, resumed, on_epoch=stop_at(3))  # epoch 3 trained but not saved
    assert not resumed.is_complete(spec.key)
    assert torch.load(resumed.checkpoint_file(spec.key), weights_only=True)["epoch"] == 2
    summary = run_trial(spec, resumed)

    assert "after epoch 2" in capsys.readouterr().out
    assert not resumed.checkpoint_file(spec.key).exists()
    pd.testing.assert_frame_equal(resumed.read_per_user(spec.key), whole.read_per_user(spec.key))
    timings = ["training_seconds", "validation_seconds"]  # the clock's, which no resume repeats
    log = pd.read_csv(resumed.trial_dir(spec.key) / "log.csv")
    assert log[timings].notna().all().all()
    unstopped = pd.read_csv(whole.trial_dir(spec.key) / "log.csv")
    pd.testing.assert_frame_equal(log.drop(columns=timings), unstopped.drop(columns=timings))
    assert summary["epochs"] == 3
    assert summary["best_epoch"] == whole.read_summary(spec.key)["best_epoch"]


class ScriptedRun:
    """The parts of a TrainContext the training loop uses, with validation scores given in advance."""

    select_metric = "ndcg@10"

    def __init__(self, checkpoint, scores):
        self.checkpoint, self.scores = checkpoint, iter(scores)
        self.log, self.resumed_seconds, self.best_epoch = [], 0.0, None

    def elapsed(self) -> float:
        return 1.0 + self.resumed_seconds

    def validate(self, method):
        return {"ndcg@10": next(self.scores)}

    def log_epoch(self, epoch, **values):
        self.log.append({"epoch": epoch, **values})


def train_scripted(run: ScriptedRun, epochs_seen: list[int]) -> torch.nn.Linear:
    """A model whose weight is the number of the last trained epoch."""
    model = torch.nn.Linear(1, 1, bias=False)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

    def train_epoch(epoch: int) -> float:
        epochs_seen.append(epoch)
        model.weight.data.fill_(float(epoch))
        return 0.0

    train_with_early_stopping(run, None, model, train_epoch, epochs=10, patience=2, resumable=(optimizer,))
    return model


def test_a_checkpoint_taken_after_early_stopping_trains_no_further(tmp_path):
    path = tmp_path / "checkpoint.pt"
    first_epochs = []
    train_scripted(ScriptedRun(path, [0.1, 0.3, 0.2, 0.2, 0.9]), first_epochs)
    assert first_epochs == [1, 2, 3, 4]  # no gain for 2 epochs after epoch 2

    again_epochs = []
    run = ScriptedRun(path, [])
    model = train_scripted(run, again_epochs)
    assert again_epochs == []
    assert model.weight.item() == 2.0  # the best epoch's weights
    assert run.best_epoch == 2
    assert [row["epoch"] for row in run.log] == [1, 2, 3, 4]
    assert run.resumed_seconds == 1.0


def test_random_streams_continue_where_they_were(tmp_path):
    path = tmp_path / "checkpoint.pt"
    rng, generator = np.random.default_rng(1), torch.Generator().manual_seed(1)
    rng.random(3), torch.rand(3, generator=generator), torch.rand(2), np.random.rand(2)
    EpochCheckpoint(path, [rng, generator]).save(ScriptedRun(path, []), epoch=1, stopped=False)
    expected = rng.random(), torch.rand(1, generator=generator).item(), torch.rand(1).item(), np.random.rand()

    rng, generator = np.random.default_rng(9), torch.Generator().manual_seed(9)
    torch.manual_seed(9), np.random.seed(9)
    assert EpochCheckpoint(path, [rng, generator]).resume(ScriptedRun(path, [])) == (1, False)
    assert (rng.random(), torch.rand(1, generator=generator).item(), torch.rand(1).item(), np.random.rand()) == expected


def test_a_checkpoint_that_does_not_fit_the_loop_is_one_clear_error(tmp_path):
    path = tmp_path / "checkpoint.pt"
    EpochCheckpoint(path, [torch.nn.Linear(1, 1)]).save(ScriptedRun(path, []), epoch=1, stopped=False)
    with pytest.raises(SuiteError, match=r"checkpoint\.pt: cannot resume .*delete it") as error:
        EpochCheckpoint(path, [torch.nn.Linear(2, 2)]).resume(ScriptedRun(path, []))
    assert "\n" not in str(error.value)
