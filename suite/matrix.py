"""Expand a benchmark config into TrialSpecs: one per training run, with inference variants inside."""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from suite.errors import ConfigError
from suite.metrics import parse_metric
from suite.protocol import context_items, keyed_params
from suite.registry import get_method
from suite.tokenizers.base import complete_tokenizer, tokenizer_label
from suite.types import (
    DEFAULT_LIST_LENGTH,
    DEFAULT_VARIANT,
    FULL_MODEL,
    BenchmarkConfig,
    DatasetConfig,
    MethodConfig,
    Resources,
)

QUICK_KS = (1, 5, 10)
LEGACY_LIST_LENGTH = 0  # a trial stored before ranked lists were kept: no list at all


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=list)


def _label(assignment: Mapping[str, Any]) -> str:
    """`beam=1,order=margin`; a tokenizer shows as its name plus what differs from its defaults."""
    return ",".join(
        f"{k}={tokenizer_label(v) if k == 'tokenizer' and isinstance(v, Mapping) else v}" for k, v in assignment.items()
    )


@dataclass(frozen=True)
class Variant:
    """One inference setting of a trained model: the inference parameters it overrides."""

    name: str
    overrides_json: str = "{}"

    @property
    def overrides(self) -> dict[str, Any]:
        return json.loads(self.overrides_json)


@dataclass(frozen=True)
class TrialSpec:
    """A frozen description of one training run; its `key` names its folder in the store."""

    dataset: DatasetConfig
    method: str
    method_class: str
    params_json: str
    grid_label: str
    seed: int
    variants: tuple[Variant, ...]
    select_metric: str
    list_length: int = DEFAULT_LIST_LENGTH  # N: each variant's top-N list per user is stored
    device: str = "auto"
    resources: Resources = Resources()

    @property
    def params(self) -> dict[str, Any]:
        return json.loads(self.params_json)

    @property
    def row(self) -> str:
        """The leaderboard row this trial belongs to: method name plus its grid assignment."""
        return f"{self.method} [{self.grid_label}]" if self.grid_label else self.method

    @property
    def quick_ks(self) -> tuple[int, ...]:
        """The cut-offs of the validation log and of the summary's quick look at the test metrics
        (the report computes whatever the YAML asks from the stored lists)."""
        return tuple(sorted({*QUICK_KS, parse_metric(self.select_metric)[1]}))

    def _identity(self) -> dict[str, Any]:
        """What the results depend on: the spec without where and how fast it runs."""
        identity = self.to_dict()
        del identity["device"], identity["resources"]
        return identity

    @property
    def key(self) -> str:
        """Content hash of everything that determines the results (not where or how fast they run,
        nor which metrics or cut-offs the report computes from them)."""
        return _digest(self._identity())

    @property
    def training_key(self) -> str:
        """Content hash of what determines the trained model: the key's identity without the
        decoding variants and without the names of its row (the method entry's name and the
        grid label, which its parameters already spell out). Trials that share it train the
        same model (`suite.reuse`): an ablation's trials serve a row that later takes its
        setting as the default."""
        identity = self._identity()
        del identity["variants"], identity["method"], identity["grid_label"]
        return _digest(identity)

    def legacy_key(self, ks: tuple[int, ...]) -> str:
        """The key this trial had when the evaluation's `ks` were part of it (and lists were not stored)."""
        identity = self._identity()
        del identity["list_length"]
        return _digest({**identity, "ks": list(ks)})

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["params"] = self.params
        del data["params_json"]
        data["variants"] = [{"name": v.name, "overrides": v.overrides} for v in self.variants]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrialSpec:
        return cls(
            dataset=DatasetConfig(**data["dataset"]),
            method=data["method"],
            method_class=data["method_class"],
            params_json=canonical_json(data["params"]),
            grid_label=data["grid_label"],
            seed=data["seed"],
            variants=tuple(Variant(v["name"], canonical_json(v["overrides"])) for v in data["variants"]),
            select_metric=data["select_metric"],
            list_length=data.get("list_length", LEGACY_LIST_LENGTH),
            device=data["device"],
            resources=Resources(**data["resources"]),
        )


def _digest(identity: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(identity).encode()).hexdigest()[:16]


def _product(axes: Mapping[str, tuple]) -> list[dict[str, Any]]:
    names = list(axes)
    return [dict(zip(names, values, strict=True)) for values in itertools.product(*(axes[n] for n in names))]


def _variants(axes: Mapping[str, tuple], configured: Mapping[str, Any]) -> tuple[Variant, ...]:
    variants = [Variant(DEFAULT_VARIANT)]
    seen = {canonical_json({})}
    for assignment in _product(axes) if axes else []:
        overrides = {k: v for k, v in assignment.items() if configured.get(k) != v}
        text = canonical_json(overrides)
        if text not in seen:
            seen.add(text)
            variants.append(Variant(_label(assignment), text))
    return tuple(variants)


@dataclass(frozen=True)
class AblationRow:
    """Where an ablation row's results live: a leaderboard row and a variant of its trials."""

    row: str
    variant: str


def _ablation_row(entry: MethodConfig, base: dict[str, Any], label: str, overrides: dict[str, Any]) -> tuple:
    """(kind, changes) of one ablation row against the full model's parameters `base`.

    kind is `same` (nothing changes), `variant` (only inference parameters change) or `trial`.
    """
    changes = {k: v for k, v in overrides.items() if base.get(k) != v}
    inference = get_method(entry.method).inference_defaults
    if not changes:
        return "same", changes
    return ("variant" if set(changes) <= set(inference) else "trial"), changes


def ablation_index(config: BenchmarkConfig) -> dict[str, dict[str, AblationRow]]:
    """For each ablation, its rows (the full model first) and where their results are stored.

    `ablation_manifest` adds each ablation's method and swept axis, as `ablations.json` holds it.
    """
    index = {}
    for ablation in config.ablations.values():
        entry = config.methods[ablation.method]
        base = _base_params(entry)
        rows = {FULL_MODEL: AblationRow(entry.name, DEFAULT_VARIANT)}
        for label, overrides in ablation.rows.items():
            kind, _ = _ablation_row(entry, base, label, dict(overrides))
            rows[label] = {
                "same": AblationRow(entry.name, DEFAULT_VARIANT),
                "variant": AblationRow(entry.name, label),
                "trial": AblationRow(f"{entry.name} [{label}]", DEFAULT_VARIANT),
            }[kind]
        index[ablation.name] = rows
    return index


def ablation_manifest(config: BenchmarkConfig) -> dict[str, dict[str, Any]]:
    """`ablation_index` with each ablation's method and axis, and each row's `label:` where it has one."""
    index = ablation_index(config)
    return {
        name: {
            "method": config.methods[ablation.method].name,
            "axis": ablation.axis,
            "rows": {
                label: {"row": row.row, "variant": row.variant}
                | ({"label": ablation.labels[label]} if label in ablation.labels else {})
                for label, row in index[name].items()
            },
        }
        for name, ablation in config.ablations.items()
    }


def row_labels(config: BenchmarkConfig, specs: Sequence[TrialSpec]) -> dict[str, str]:
    """How tables show each leaderboard row whose `methods:` entry has a `label:` (`SASRec`, or
    `SASRec [n_layers=2]` for a grid row)."""
    labels = {}
    for spec in specs:
        label = config.methods[spec.method].label
        if label is not None:
            labels[spec.row] = f"{label} [{spec.grid_label}]" if spec.grid_label else label
    return labels


def row_terms(config: BenchmarkConfig, specs: Sequence[TrialSpec]) -> dict[str, Any]:
    """The terms each row ran on, for the tables: the history items it read on each dataset (None
    for a method that reads none) and how many configurations the tuning of its parameters tried;
    and the protocol the footer states (split, seeds, selection, tuning, and each trained row's
    epoch cap and early-stopping patience)."""
    rows: dict[str, dict[str, Any]] = {}
    stopping: dict[str, dict[str, int]] = {}
    for spec in specs:
        if "epochs" in spec.params and "patience" in spec.params:
            stopping[spec.row] = {"epochs": spec.params["epochs"], "patience": spec.params["patience"]}
        cls = get_method(spec.method_class)
        terms = rows.setdefault(
            spec.row, {"context_items": {}, "tuning_samples": config.methods[spec.method].tuned_samples}
        )
        terms["context_items"][spec.dataset.name] = (
            context_items(spec.params, spec.dataset.history) if cls.reads_history else None
        )
    protocol = {
        "split": "leave-one-out",
        "seeds": list(config.seeds),
        "select_metric": config.evaluation.select_metric,
        "history": {name: dataset.history for name, dataset in config.datasets.items()},
        "tuning": dict(config.tuned_protocol),
        "stopping": stopping,
    }
    return {"rows": rows, "protocol": protocol}


def _base_params(entry: MethodConfig) -> dict[str, Any]:
    """The entry's full parameters; a tokenizer choice is completed with its defaults, so a
    default tokenizer and the same tokenizer spelled out are one trial."""
    cls = get_method(entry.method)
    params = {**cls.defaults, **cls.inference_defaults, **entry.params}
    if isinstance(params.get("tokenizer"), Mapping):
        params["tokenizer"] = complete_tokenizer(params["tokenizer"])
    return params


MAX_TRIALS = 10_000
MAX_VARIANTS = 100_000


def check_size(config: BenchmarkConfig) -> None:
    """A ConfigError, before anything is expanded, when the matrix is larger than a benchmark
    can mean: more than `MAX_TRIALS` trainings or `MAX_VARIANTS` decodings."""
    trials = variants = 0
    for entry in config.methods.values():
        grid = math.prod(len(values) for values in entry.grid.values())
        decodings = math.prod(len(values) for values in entry.variants.values())
        trials += grid
        variants += grid * decodings
    for ablation in config.ablations.values():
        trials += len(ablation.rows)  # at most one trial each, per dataset and seed
        variants += len(ablation.rows)
    scale = len(config.datasets) * len(config.seeds)
    if trials * scale > MAX_TRIALS or variants * scale > MAX_VARIANTS:
        raise ConfigError(
            config.source,
            "methods",
            f"the matrix expands to about {trials * scale:,} trials and {variants * scale:,} decodings "
            f"(at most {MAX_TRIALS:,} and {MAX_VARIANTS:,}); split it into several files",
        )


def expand(config: BenchmarkConfig) -> list[TrialSpec]:
    """datasets x methods x per-method grid x seeds, plus ablation rows, in a stable order.

    Ablation rows that only change inference become variants of the full model's trials;
    the others become trials of their own, over the same datasets and seeds.
    """
    check_size(config)
    extra_variants: dict[str, list[Variant]] = {name: [] for name in config.methods}
    extra_trials: list[tuple[MethodConfig, str, dict[str, Any], str]] = []
    for ablation in config.ablations.values():
        entry = config.methods[ablation.method]
        base = _base_params(entry)
        where = f"ablations.{ablation.name}"
        for label, overrides in ablation.rows.items():
            kind, changes = _ablation_row(entry, base, label, dict(overrides))
            if kind == "variant":
                _check_params(config, entry, {**base, **changes}, where)
                extra_variants[entry.name].append(Variant(label, canonical_json(changes)))
            elif kind == "trial":
                extra_trials.append((entry, label, changes, where))

    specs: list[TrialSpec] = []
    for dataset in config.datasets.values():
        for entry in config.methods.values():
            base = _base_params(entry)
            variants = _variants(entry.variants, base) + tuple(extra_variants[entry.name])
            specs += _trials(config, dataset, entry, base, variants, "", {}, f"methods.{entry.name}")
        for entry, label, changes, where in extra_trials:
            default = (Variant(DEFAULT_VARIANT),)
            specs += _trials(config, dataset, entry, _base_params(entry), default, label, changes, where)
    unique = {spec.key: spec for spec in specs}
    return list(unique.values())


def _trials(
    config: BenchmarkConfig,
    dataset: DatasetConfig,
    entry: MethodConfig,
    base: dict[str, Any],
    variants: tuple[Variant, ...],
    label: str,
    overrides: dict[str, Any],
    where: str,
) -> list[TrialSpec]:
    """One spec per grid assignment and seed; `where` is the YAML key that `check_params` errors name."""
    specs = []
    for assignment in _product(entry.grid):
        params = {**base, **assignment, **overrides}
        key = f"{where}.grid" if assignment and not label else where
        for variant in variants:
            _check_params(config, entry, {**params, **variant.overrides}, key)
        for seed in config.seeds:
            specs.append(
                TrialSpec(
                    dataset=dataset,
                    method=entry.name,
                    method_class=entry.method,
                    params_json=canonical_json(keyed_params(get_method(entry.method), params)),
                    grid_label=",".join(filter(None, [_label(assignment), label])),
                    seed=seed,
                    variants=variants,
                    select_metric=config.evaluation.select_metric,
                    list_length=config.evaluation.list_length,
                    device=config.device,
                    resources=entry.resources or config.resources,
                )
            )
    return specs


def _check_params(config: BenchmarkConfig, entry: MethodConfig, params: dict[str, Any], key: str) -> None:
    """A ConfigError at `key` when the method's `check_params` finds the combination unusable."""
    problem = get_method(entry.method).check_params(params)
    if problem:
        raise ConfigError(config.source, key, problem)


def select_trials(
    specs: list[TrialSpec], rows: Sequence[str] = (), seeds: Sequence[int] = (), source: str = ""
) -> list[TrialSpec]:
    """The trials of the given table rows and seeds; an empty filter keeps all. Keys do not change,
    so a later run of the whole file resumes from them."""
    known_rows = list(dict.fromkeys(spec.row for spec in specs))
    known_seeds = sorted({spec.seed for spec in specs})
    for row in rows:
        if row not in known_rows:
            raise ConfigError(source, "--row", f"no trial row {row!r} (rows: {', '.join(known_rows)})")
    for seed in seeds:
        if seed not in known_seeds:
            raise ConfigError(
                source, "--seed", f"no trials with seed {seed} (seeds: {', '.join(map(str, known_seeds))})"
            )
    return [spec for spec in specs if (not rows or spec.row in rows) and (not seeds or spec.seed in seeds)]


def count_variants(specs: list[TrialSpec]) -> int:
    return sum(len(spec.variants) for spec in specs)
