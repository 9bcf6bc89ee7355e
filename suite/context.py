"""What a method's `fit` receives: the prepared data, its parameters and validation hooks."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from suite.data.prepare import PreparedData
from suite.errors import SuiteError
from suite.metrics import rank_metrics
from suite.semantic_ids.assembly import SemanticIds
from suite.semantic_ids.storage import load_semantic_ids, save_semantic_ids
from suite.tokenizers.base import tokenizer_label
from suite.tokenizers.fitting import catalog_semantic_ids
from suite.types import DEFAULT_ENCODER


@dataclass
class TrainContext:
    """Everything `Method.fit` needs, identical for every method of a trial matrix.

    `validate(method)` scores the method's current state on the validation targets under its
    configured inference parameters; `log_epoch` records a row of `log.csv` and reports
    progress to the runner. `checkpoint` is where the training loop keeps its epoch
    checkpoint (None: it keeps none); `elapsed()` counts the training seconds of earlier
    attempts that the checkpoint carries.
    """

    data: PreparedData
    params: dict[str, Any]
    seed: int
    device: torch.device
    history: int
    ks: tuple[int, ...] = (1, 5, 10)
    select_metric: str = "ndcg@10"
    on_epoch: Callable[[dict[str, Any]], None] | None = None
    encoder: str = DEFAULT_ENCODER
    log: list[dict[str, Any]] = field(default_factory=list)
    best_epoch: int | None = None
    tokenizer_report: dict[str, Any] | None = None
    checkpoint: Path | None = None
    semantic_ids_file: Path | None = None
    resumed_seconds: float = 0.0
    started: float = field(default_factory=time.perf_counter)

    def semantic_ids(self, tokenizer: Mapping[str, Any], train: Sequence[np.ndarray] | None = None) -> SemanticIds:
        """The catalog's unique SIDs under `tokenizer` (cached), recorded for `summary.json`.

        `train` replaces the training sequences that co-occurrence inputs are built from, for a
        method that trains on other sequences than the data's (MADRec's dropped ones).

        The trial keeps them in `semantic_ids_file`: a resumed trial, or one decoding from a
        final checkpoint, reads the codes its model learned rather than a refit, which may differ
        (another machine's cache, its arithmetic).

        Building them (loading the text encoder, fitting the tokenizer) draws from torch's
        global generator; a forked one keeps the trial's own draws, its initial weights and
        dropout, the same whether the SIDs are built here or loaded from the cache.
        """
        ids = self._kept_semantic_ids(tokenizer)
        if ids is None:
            with torch.random.fork_rng(devices=[]):
                data = self.data if train is None else self.data.with_train_sequences(train)
                ids, _ = catalog_semantic_ids(data, self.encoder, tokenizer, self.seed)
            if self.semantic_ids_file is not None:
                save_semantic_ids(self.semantic_ids_file, ids, tokenizer)
        self.tokenizer_report = {
            "tokenizer": tokenizer_label(tokenizer),
            "config": dict(tokenizer),
            "codebook_sizes": list(ids.codebook_sizes),
            **ids.stats,
        }
        return ids

    def _kept_semantic_ids(self, tokenizer: Mapping[str, Any]) -> SemanticIds | None:
        """The SIDs this trial kept, or None where it has none yet; a checkpoint without them
        (kept before trials kept their SIDs) is refused, since its codes cannot be checked."""
        if self.semantic_ids_file is None:
            return None
        if self.semantic_ids_file.is_file():
            return load_semantic_ids(self.semantic_ids_file, tokenizer)
        if self.checkpoint is not None and self.checkpoint.is_file():
            raise SuiteError(
                f"{self.checkpoint}: its trial folder does not hold the semantic IDs it was trained on,"
                " and a refit may give other codes; delete it to train the trial from the start"
            )
        return None

    def validate(self, method: Any) -> dict[str, float]:
        histories = self.data.valid_histories(self.history)
        top = method.recommend(histories, min(max(self.ks), self.data.n_items))
        metrics = rank_metrics(top.items, self.data.valid_targets(), self.ks)
        return {name: float(values.mean()) for name, values in metrics.items()}

    def elapsed(self) -> float:
        """Seconds since this context was made, plus those of the attempts it resumed from."""
        return time.perf_counter() - self.started + self.resumed_seconds

    def log_epoch(self, epoch: int, **values: float) -> None:
        row = {"epoch": epoch, **values}
        self.log.append(row)
        if self.on_epoch is not None:
            self.on_epoch(row)
