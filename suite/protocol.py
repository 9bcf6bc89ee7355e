"""The method protocol: what every registered recommender implements."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import numpy as np

if TYPE_CHECKING:
    from suite.context import TrainContext


@dataclass
class TopK:
    """Ranked recommendations: item ids `[n_users, k]` (-1 = no item) and their scores."""

    items: np.ndarray
    scores: np.ndarray
    nfe: float | None = None  # model forward passes per user, where the method counts them
    extras: dict[str, Any] = field(default_factory=dict)  # e.g. the share of invalid SIDs decoded


class Method(Protocol):
    """A recommender the suite can train and evaluate.

    `defaults` holds the training parameters and `inference_defaults` the parameters of
    `recommend`; together they are the method's whole documented configuration. One fitted
    instance is asked to `recommend` under every inference variant of a trial. An optional
    `smoke_params` gives the overrides of a seconds-long smoke run (the automatic test).

    An optional classmethod `check_params(params) -> str | None` rejects parameter
    combinations that cannot work together. It gets each trial's full parameters (with each
    inference variant) when the YAML is expanded; the sentence it returns becomes a config
    error naming the YAML key.

    Conditional recommendation: a method whose `inference_defaults` has `condition` (the
    number of the target's SID positions given in advance) is passed the true target items
    as `targets=` by the evaluation, for every variant where `condition` is above 0.
    """

    name: ClassVar[str]
    defaults: ClassVar[Mapping[str, Any]]
    inference_defaults: ClassVar[Mapping[str, Any]]

    def __init__(self, params: Mapping[str, Any]) -> None: ...

    def fit(self, run: TrainContext) -> None: ...

    def recommend(self, histories: Sequence[np.ndarray], k: int, **inference: Any) -> TopK: ...

    # recommend(..., targets=...) is called only for conditional variants (see above).

    def n_parameters(self) -> int: ...


class MethodBase:
    """Convenience base: empty defaults, parameter storage and a parameter count."""

    name: ClassVar[str] = ""
    defaults: ClassVar[Mapping[str, Any]] = {}
    inference_defaults: ClassVar[Mapping[str, Any]] = {}

    def __init__(self, params: Mapping[str, Any]) -> None:
        self.params = {**self.defaults, **self.inference_defaults, **params}

    def n_parameters(self) -> int:
        model = getattr(self, "model", None)
        if model is None:
            return 0
        return sum(p.numel() for p in model.parameters())
