"""What a method's `fit` receives: the prepared data, its parameters and validation hooks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from suite.data.prepare import PreparedData
from suite.metrics import rank_metrics


@dataclass
class TrainContext:
    """Everything `Method.fit` needs, identical for every method of a trial matrix.

    `validate(method)` scores the method's current state on the validation targets under its
    configured inference parameters; `log_epoch` records a row of `log.csv` and reports
    progress to the runner.
    """

    data: PreparedData
    params: dict[str, Any]
    seed: int
    device: torch.device
    history: int
    ks: tuple[int, ...] = (1, 5, 10)
    select_metric: str = "ndcg@10"
    on_epoch: Callable[[dict[str, Any]], None] | None = None
    log: list[dict[str, Any]] = field(default_factory=list)
    best_epoch: int | None = None

    def validate(self, method: Any) -> dict[str, float]:
        histories = self.data.valid_histories(self.history)
        top = method.recommend(histories, max(self.ks))
        metrics = rank_metrics(top.items, self.data.valid_targets(), self.ks)
        return {name: float(values.mean()) for name, values in metrics.items()}

    def log_epoch(self, epoch: int, **values: float) -> None:
        row = {"epoch": epoch, **values}
        self.log.append(row)
        if self.on_epoch is not None:
            self.on_epoch(row)
