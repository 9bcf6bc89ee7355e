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
    `recommend`; together they are the method's whole documented configuration, and the
    config checks every YAML value against the type of its default. One fitted instance is
    asked to `recommend` under every inference variant of a trial.

    Conditional recommendation: a method whose `inference_defaults` has `condition` (the
    number of the target's SID positions given in advance) or `condition_positions` (which
    positions) is passed the true target items as `targets=` by the evaluation, for every
    variant where either is set (`is_conditional`).

    The three hooks below are optional: a registered class that does not define them gets
    `MethodBase`'s (no choices, no smoke overrides, every combination accepted).
    """

    name: ClassVar[str]
    defaults: ClassVar[Mapping[str, Any]]
    inference_defaults: ClassVar[Mapping[str, Any]]
    choices: ClassVar[Mapping[str, Sequence[Any]]]
    """The allowed values of enumerated parameters, e.g. `{"order": ("confidence", "margin")}`:
    any other value in the YAML is a config error that lists these."""
    smoke_params: ClassVar[Mapping[str, Any]]
    """Overrides that make a trial seconds long on a CPU: the automatic smoke test trains every
    registered method with its defaults, one epoch and these."""
    reads_history: ClassVar[bool]
    """Whether recommendations depend on the user's history (False for a popularity list): the
    leaderboard shows the context length only of rows that read one."""
    keyless_at_default: ClassVar[tuple[str, ...] | Mapping[str, Any]]
    """Parameters added after trials were stored whose default behaves as the method did before
    them (e.g. a clipping that is off): at their default they stay out of the trial key, so
    the stored trials keep their keys. At any other value they are part of it. A mapping gives
    the value at which each stays out, for a default changed since (`{"window_shift": "fixed"}`
    once the default is `random`): the trials stored at either value keep their keys."""

    @classmethod
    def check_params(cls, params: Mapping[str, Any]) -> str | None:
        """Reject parameter combinations that cannot work together: None if `params` are usable,
        else the sentence that becomes a config error naming the YAML key. It gets each trial's
        full parameters (with each inference variant's overrides) when the YAML is expanded."""

    def __init__(self, params: Mapping[str, Any]) -> None: ...

    def fit(self, run: TrainContext) -> None: ...

    def recommend(self, histories: Sequence[np.ndarray], k: int, **inference: Any) -> TopK: ...

    # recommend(..., targets=...) is called only for conditional variants (see above).

    def n_parameters(self) -> int: ...


CONTEXT_PARAM = "max_items"
"""A method's own cap on the history items it reads; 0 (every built-in's default) means the
dataset's `history`, the one context length every row shares unless it says otherwise."""


def context_items(params: Mapping[str, Any], history: int) -> int:
    """How many of a user's latest items a method with `params` reads, on a dataset whose
    `history` is given: its `max_items` where set, else `history`."""
    return int(params.get(CONTEXT_PARAM) or history)


def is_conditional(method: Method, overrides: Mapping[str, Any]) -> bool:
    """Whether `method`, under a variant's `overrides`, is asked for conditional recommendation."""
    params = {**method.inference_defaults, **getattr(method, "params", {}), **overrides}
    return bool(params.get("condition")) or bool(params.get("condition_positions"))


REQUIRED = ("defaults", "inference_defaults", "fit", "recommend")
OPTIONAL_HOOKS = ("choices", "smoke_params", "keyless_at_default", "check_params", "reads_history")


class MethodBase:
    """Convenience base: empty defaults, the optional hooks, parameter storage and a parameter count."""

    name: ClassVar[str] = ""
    defaults: ClassVar[Mapping[str, Any]] = {}
    inference_defaults: ClassVar[Mapping[str, Any]] = {}
    choices: ClassVar[Mapping[str, Sequence[Any]]] = {}
    smoke_params: ClassVar[Mapping[str, Any]] = {}
    keyless_at_default: ClassVar[tuple[str, ...] | Mapping[str, Any]] = ()
    reads_history: ClassVar[bool] = True

    @classmethod
    def check_params(cls, params: Mapping[str, Any]) -> str | None:
        return None

    def __init__(self, params: Mapping[str, Any]) -> None:
        self.params = {**self.defaults, **self.inference_defaults, **params}

    def fit(self, run: TrainContext) -> None:
        raise NotImplementedError(f"{type(self).__qualname__} does not implement fit")

    def recommend(self, histories: Sequence[np.ndarray], k: int, **inference: Any) -> TopK:
        raise NotImplementedError(f"{type(self).__qualname__} does not implement recommend")

    def n_parameters(self) -> int:
        model = getattr(self, "model", None)
        if model is None:
            return 0
        return sum(p.numel() for p in model.parameters())


def keyed_params(cls: Method, params: Mapping[str, Any]) -> dict[str, Any]:
    """`params` as a trial key holds them: without the `keyless_at_default` ones at their default
    (or at the value the mapping gives)."""
    keyless = cls.keyless_at_default
    if not isinstance(keyless, Mapping):
        merged = {**cls.defaults, **cls.inference_defaults}
        keyless = {name: merged.get(name) for name in keyless}
    return {k: v for k, v in params.items() if not (k in keyless and v == keyless[k])}


def conform(cls: type) -> type:
    """`cls` as the registry keeps it: a TypeError if it lacks a required member of the protocol,
    and `MethodBase`'s optional hooks where it defines none of its own."""
    missing = [member for member in REQUIRED if not hasattr(cls, member)]
    if missing:
        raise TypeError(f"method class {cls.__qualname__} lacks {', '.join(missing)} (see suite.protocol.Method)")
    for hook in OPTIONAL_HOOKS:
        if not hasattr(cls, hook):
            setattr(cls, hook, vars(MethodBase)[hook])
    return cls
