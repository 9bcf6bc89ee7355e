"""Training helpers shared by the neural methods: seeding, devices, early stopping, epochs of prefixes."""

from __future__ import annotations

import copy
import math
import random
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from suite.checkpoint import EpochCheckpoint
from suite.context import TrainContext
from suite.errors import SuiteError


class TrialFailure(SuiteError):
    """A trial that cannot go on (a NaN loss, say); the message gives the reason."""


PRECISIONS = ("fp32", "bf16")


def mixed_precision(device: torch.device, precision: str) -> torch.autocast:
    """bf16 autocast on `device` when `precision` is bf16 (weights and optimizer state stay fp32)."""
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r} (choose from: {', '.join(PRECISIONS)})")
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=precision == "bf16")


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def resolve_device(name: str) -> torch.device:
    """`auto` is CUDA when a GPU is visible, else CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


STOPPING_RULES = ("suite", "recbole")


class EarlyStopping:
    """Keeps the best weights by a validation score; says when to stop.

    Two rules, both counting epochs without a gain against `patience`:
    - `suite`: a gain is a higher score; training stops at the `patience`-th epoch without one.
    - `recbole`: recbole's trainer (`stopping_step`). Scores are rounded to 4 places (its
      `metric_decimal_place`), a tie counts as a gain (the later epoch's weights are kept),
      and training stops at the epoch after the `patience`-th without one.
    """

    def __init__(self, patience: int, rule: str = "suite"):
        if rule not in STOPPING_RULES:
            raise ValueError(f"unknown stopping rule {rule!r} (choose from: {', '.join(STOPPING_RULES)})")
        self.patience = patience
        self.rule = rule
        self.best_score = -math.inf
        self.best_epoch: int | None = None
        self.best_state: dict[str, torch.Tensor] | None = None

    def update(self, epoch: int, score: float, model: torch.nn.Module) -> bool:
        if self.rule == "recbole":
            score = round(score, 4)
            gain, limit = score >= self.best_score, self.patience + 1
        else:
            gain, limit = score > self.best_score, self.patience
        if gain:
            self.best_score, self.best_epoch = score, epoch
            self.best_state = copy.deepcopy(model.state_dict())
            return False
        return epoch - (self.best_epoch or 0) >= limit

    def restore(self, model: torch.nn.Module) -> None:
        if self.best_state is not None:
            model.load_state_dict(self.best_state)

    def state_dict(self) -> dict[str, Any]:
        return {"best_score": self.best_score, "best_epoch": self.best_epoch, "best_state": self.best_state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best_score, self.best_epoch = state["best_score"], state["best_epoch"]
        self.best_state = state["best_state"]


def train_with_early_stopping(
    run: TrainContext,
    method: Any,
    model: torch.nn.Module,
    train_epoch: Callable[[int], float],
    epochs: int,
    patience: int,
    resumable: Sequence[Any],
    stopping: str = "suite",
) -> None:
    """Run `train_epoch` (which returns the mean loss) until validation stops improving.

    After each epoch the method is scored on the validation targets; the weights of the best
    epoch by `run.select_metric` are restored at the end (`stopping` names the rule, as in
    `EarlyStopping`). `resumable` lists every object
    besides the model whose state the epochs change: optimizers, numpy and torch generators.
    With the model they make the trial's epoch checkpoint (`suite.checkpoint`), from which a
    stopped trial resumes exactly where it was.
    """
    stopper = EarlyStopping(patience, stopping)
    checkpoint = EpochCheckpoint(run.checkpoint, [model, stopper, *resumable])
    epoch, stopped = checkpoint.resume(run)
    while not stopped and epoch < epochs:
        epoch += 1
        model.train()
        started = time.perf_counter()
        loss = train_epoch(epoch)
        trained = time.perf_counter()
        if not math.isfinite(loss):
            raise TrialFailure(f"loss is {loss} at epoch {epoch}; lower the learning rate")
        model.eval()
        with torch.no_grad():
            scores = run.validate(method)
        run.log_epoch(
            epoch,
            loss=loss,
            **{f"valid_{name}": value for name, value in scores.items()},
            training_seconds=trained - started,
            validation_seconds=time.perf_counter() - trained,
        )
        stopped = stopper.update(epoch, scores[run.select_metric], model)
        checkpoint.save(run, epoch, stopped)
    stopper.restore(model)
    model.eval()
    run.best_epoch = stopper.best_epoch


def sample_prefixes(
    sequences: Sequence[np.ndarray], per_user: int, rng: np.random.Generator
) -> tuple[list[np.ndarray], np.ndarray]:
    """(history, next item) training pairs: `per_user` random positions of each sequence, or all if 0."""
    histories, targets = [], []
    for seq in sequences:
        positions = np.arange(1, len(seq))
        if per_user and len(positions) > per_user:
            positions = rng.choice(positions, size=per_user, replace=False)
        for t in positions:
            histories.append(seq[:t])
            targets.append(seq[t])
    return histories, np.asarray(targets, dtype=np.int64)


def optimizer_step(optimizer: torch.optim.Optimizer, loss: torch.Tensor, grad_clip: float = 0.0) -> None:
    """Back-propagate `loss` and step; with `grad_clip` > 0 the gradients' global L2 norm is first
    clipped to it (`grad_clip: 0` leaves them as they are)."""
    optimizer.zero_grad()
    loss.backward()
    if grad_clip > 0:
        parameters = [p for group in optimizer.param_groups for p in group["params"]]
        torch.nn.utils.clip_grad_norm_(parameters, grad_clip)
    optimizer.step()


def prefix_epoch(
    sequences: Sequence[np.ndarray],
    per_user: int,
    batch_size: int,
    rng: np.random.Generator,
    optimizer: torch.optim.Optimizer,
    loss: Callable[[list[np.ndarray], np.ndarray], torch.Tensor],
    grad_clip: float = 0.0,
) -> float:
    """One epoch over freshly sampled (history, next item) pairs in shuffled batches; the mean loss."""
    histories, targets = sample_prefixes(sequences, per_user, rng)
    order = rng.permutation(len(targets))
    total = 0.0
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        value = loss([histories[i] for i in batch], targets[batch])
        optimizer_step(optimizer, value, grad_clip)
        total += value.item() * len(batch)
    return total / len(order)
