"""A test-only method that fails on purpose: `mode` raise, nan (loss), oom, crash (the worker
process exits at once, as if killed) or raise-then-crash (the first attempt raises, later ones
crash); each attempt is counted in `attempts_file`."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from suite.context import TrainContext
from suite.protocol import MethodBase, TopK
from suite.registry import register
from suite.training import train_with_early_stopping


@register("failing")
class Failing(MethodBase):
    defaults = {"mode": "raise", "attempts_file": ""}
    choices = {"mode": ("raise", "nan", "oom", "crash", "raise-then-crash")}

    def fit(self, run: TrainContext) -> None:
        earlier = 0
        if self.params["attempts_file"]:
            attempts = Path(self.params["attempts_file"])
            earlier = attempts.read_text().count("attempt") if attempts.exists() else 0
            with open(attempts, "a") as handle:
                handle.write("attempt\n")
        mode = self.params["mode"]
        if mode == "raise-then-crash":
            mode = "crash" if earlier else "raise"
        if mode == "raise":
            raise RuntimeError("injected failure")
        if mode == "crash":
            os._exit(1)
        if mode == "oom":
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        self.model = torch.nn.Linear(1, 1)
        train_with_early_stopping(run, self, self.model, lambda epoch: float("nan"), epochs=3, patience=3, resumable=())

    def recommend(self, histories, k: int, **inference) -> TopK:
        return TopK(np.full((len(histories), k), -1), np.zeros((len(histories), k)))
