"""Load a benchmark YAML into typed, validated objects.

Every problem is reported as one `ConfigError` naming the file and the key path, e.g.
`benchmark.yaml: methods.sasrec.epochs: expected int, got 'ten'`.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from suite.data.sources import BUILTIN_DATASETS
from suite.errors import ConfigError
from suite.metrics import RANKS, parse_metric
from suite.registry import Registry, corrections, loaders, tests, tokenizers
from suite.registry import methods as method_registry
from suite.search_space import KINDS, split_name
from suite.tokenizers.base import complete_tokenizer, tokenizer_label
from suite.types import (
    DEFAULT_ENCODER,
    DEVICES,
    FULL_MODEL,
    SCHEDULERS,
    SEARCHES,
    TEXT_INPUT,
    TOKENIZER_INPUTS,
    AblationConfig,
    BenchmarkConfig,
    DatasetConfig,
    Domain,
    EvaluationConfig,
    MethodConfig,
    Resources,
    TrackingConfig,
    TuningConfig,
)

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
MAX_NAME = 100  # names become folder names (results/<experiment>/, variants/<row>.md)
MAX_SEED = 2**32 - 1  # numpy and torch seed their generators from 32 bits


def _describe(value: Any) -> str:
    return repr(value) if isinstance(value, str) else f"{type(value).__name__} {value!r}"


class _Reader:
    """Typed accessors that raise a ConfigError naming the file and key path."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, key: str, message: str) -> ConfigError:
        return ConfigError(self.source, key, message)

    def mapping(self, value: Any, key: str, allowed: tuple[str, ...] | None = None) -> dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(key, f"expected a mapping, got {_describe(value)}")
        for name in value:
            if not isinstance(name, str):
                raise self.fail(key, f"keys must be strings, got {_describe(name)}")
            if allowed is not None and name not in allowed:
                raise self.fail(_join(key, name), f"unknown key (allowed: {', '.join(allowed)})")
        return value

    def entries(self, value: Any, key: str) -> list[tuple[str, str, Any]]:
        """(name, key path, entry) of a non-empty mapping of named entries (datasets, methods)."""
        raw = self.mapping(value, key)
        if not raw:
            raise self.fail(key, f"no {key}, so the matrix is empty")
        return [(self.name(name, _join(key, name)), _join(key, name), entry) for name, entry in raw.items()]

    def integer(self, value: Any, key: str, minimum: int | None = None, maximum: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, f"expected int, got {_describe(value)}")
        if minimum is not None and value < minimum:
            raise self.fail(key, f"must be at least {minimum}, got {value}")
        if maximum is not None and value > maximum:
            raise self.fail(key, f"must be at most {maximum}, got {value}")
        return value

    def number(self, value: Any, key: str, minimum: float | None = None) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(key, f"expected a number, got {_describe(value)}")
        if not math.isfinite(value):
            raise self.fail(key, f"must be a finite number, got {value}")
        if minimum is not None and value < minimum:
            raise self.fail(key, f"must be at least {minimum}, got {value}")
        return float(value)

    def string(self, value: Any, key: str, choices: tuple[str, ...] | None = None) -> str:
        if not isinstance(value, str):
            raise self.fail(key, f"expected a string, got {_describe(value)}")
        if choices is not None and value not in choices:
            raise self.fail(key, f"unknown value {value!r} (choose from: {', '.join(choices)})")
        return value

    def name(self, value: Any, key: str) -> str:
        text = self.string(value, key)
        if not NAME_PATTERN.match(text):
            raise self.fail(key, f"{text!r} is not a usable name (letters, digits, '.', '_', '-')")
        if len(text) > MAX_NAME:
            raise self.fail(key, f"a name of {len(text)} characters is too long for a file name (at most {MAX_NAME})")
        return text

    def items(self, value: Any, key: str) -> list:
        if not isinstance(value, list):
            raise self.fail(key, f"expected a list, got {_describe(value)}")
        if not value:
            raise self.fail(key, "the list is empty, so the matrix expands to zero trials")
        return value

    def tokenizer(self, value: Any, key: str, default_name: str | None = None) -> dict[str, Any]:
        """A tokenizer choice, `{name: rq-vae, codebook_size: 64}`, merged with its defaults."""
        raw = dict(self.mapping(value, key))
        name = self.string(raw.pop("name", default_name), _join(key, "name"))
        cls = self.registered(tokenizers, name, key)
        params = dict(cls.defaults)
        source = self.string(raw.pop("input", TEXT_INPUT), _join(key, "input"), TOKENIZER_INPUTS)
        for param, item in raw.items():
            if param not in cls.defaults:
                allowed = ", ".join(["name", "input", *sorted(cls.defaults)])
                raise self.fail(_join(key, param), f"unknown parameter of tokenizer {name!r} (allowed: {allowed})")
            params[param] = _coerce(self, cls.defaults[param], item, _join(key, param))
            if param in cls.choices and params[param] not in cls.choices[param]:
                options = ", ".join(map(str, cls.choices[param]))
                raise self.fail(_join(key, param), f"unknown value {params[param]!r} (choose from: {options})")
        return complete_tokenizer({"name": name, **params, "input": source})

    def registered(self, registry: Registry, name: str, key: str) -> Any:
        """What `registry` holds under `name`; an error at `key` listing the known names otherwise."""
        try:
            return registry.get(name)
        except KeyError:
            raise self.fail(key, f"unknown {registry.kind} {name!r} (known: {', '.join(registry.names())})") from None

    def registered_name(self, value: Any, key: str, registry: Registry) -> str:
        """A string naming something `registry` holds."""
        name = self.string(value, key)
        self.registered(registry, name, key)
        return name

    def resources(self, value: Any, key: str, base: Resources) -> Resources:
        raw = self.mapping(value, key, ("cpu", "gpu"))
        cpu = self.number(raw.get("cpu", base.cpu), _join(key, "cpu"))
        gpu = self.number(raw.get("gpu", base.gpu), _join(key, "gpu"), minimum=0)
        if cpu <= 0:
            raise self.fail(_join(key, "cpu"), f"must be positive, got {cpu:g}")
        return Resources(cpu=cpu, gpu=gpu)


def _join(key: str, name: str | int) -> str:
    if isinstance(name, int):
        return f"{key}[{name}]"
    return f"{key}.{name}" if key else name


TOP_LEVEL = (
    "experiment",
    "results_dir",
    "seeds",
    "device",
    "resources",
    "max_failures",
    "datasets",
    "methods",
    "evaluation",
    "tokenizers",
    "ablations",
    "tracking",
    "tuning",
    "tuned",
)
ABLATION_KEYS = ("method", "vary", "rows")
DATASET_KEYS = ("loader", "path", "category", "k_core", "history", "min_items", "max_users", "encoder")
EVALUATION_KEYS = ("ks", "metrics", "select_metric", "test", "correction", "alpha", "baseline", "list_length", "ci")
RESERVED_METHOD_KEYS = ("method", "grid", "variants", "resources", "label", "search")
TUNING_KEYS = tuple(TuningConfig.__dataclass_fields__)


def check_name(value: str, source: str) -> str:
    """`value` if it can name a results folder; a ConfigError from `source` otherwise."""
    return _Reader(source).name(value, "value")


MERGE_TAG = "tag:yaml.org,2002:merge"


class _UniqueKeyLoader(yaml.SafeLoader):
    """yaml's safe loader, except that a key repeated in one mapping is an error, not a silent overwrite."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen = set()
        for key_node, _ in node.value:
            if key_node.tag == MERGE_TAG:  # `<<: *defaults`: merged keys may be overridden here
                continue
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, Hashable) and key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_config(path: str | Path, overrides: Sequence[str] = (), take_tuned: bool = True) -> BenchmarkConfig:
    """Read and validate a benchmark YAML file (safe_load only), after the `--set KEY.PATH=VALUE`
    `overrides` (each VALUE read as YAML) replace what the file says. `take_tuned` False leaves
    its `tuned:` file unread (`suite tune`, which writes it)."""
    path = Path(path).expanduser()
    source = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(str(path), "", "no such file") from None
    except UnicodeDecodeError as error:
        raise ConfigError(source, "", f"not UTF-8 text ({error.reason} at byte {error.start})") from None
    except OSError as error:
        raise ConfigError(str(path), "", f"cannot read: {error.strerror}") from None
    try:
        raw = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise ConfigError(source, "", f"not valid YAML: {where}{problem}") from None
    if raw is None:
        raise ConfigError(source, "", "the file is empty")
    for override in overrides:
        raw = apply_override(raw, override, source)
    return parse_config(raw, source=source, default_experiment=path.stem, take_tuned=take_tuned)


def apply_override(raw: Any, override: str, source: str) -> dict:
    """`raw` with `KEY.PATH=VALUE` set: VALUE is read as YAML (`5`, `[0, 1]`, `true`, `{a: 1}`),
    missing mappings on the path are created. The result is validated as the file is."""
    path, equals, text = override.partition("=")
    keys = path.strip().split(".")
    if not equals or not all(keys):
        raise ConfigError(source, "--set", f"expected KEY.PATH=VALUE (e.g. methods.sasrec.epochs=5), got {override!r}")
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        raise ConfigError(source, "--set", f"{path}: {text!r} is not a YAML value") from None
    if not isinstance(raw, dict):
        raise ConfigError(source, "", "the file's top level is not a mapping")
    node = raw
    for depth, key in enumerate(keys[:-1]):
        child = node.setdefault(key, {})
        if child is None:
            child = node[key] = {}
        if not isinstance(child, dict):
            prefix = ".".join(keys[: depth + 1])
            raise ConfigError(
                source, "--set", f"{path}: {prefix} is not a mapping, so it has no key {keys[depth + 1]!r}"
            )
        node = child
    node[keys[-1]] = value
    return raw


def parse_config(
    raw: Any, source: str, default_experiment: str = "benchmark", take_tuned: bool = True
) -> BenchmarkConfig:
    """Validate an already-parsed YAML document (and the `tuned:` file it names, if `take_tuned`)."""
    read = _Reader(source)
    top = read.mapping(raw, "", TOP_LEVEL)
    experiment = read.name(top.get("experiment", default_experiment), "experiment")
    results_dir = os.path.expanduser(read.string(top.get("results_dir", "results"), "results_dir"))
    seeds_raw = read.items(top.get("seeds", [0]), "seeds")
    seeds = tuple(read.integer(s, _join("seeds", i), minimum=0, maximum=MAX_SEED) for i, s in enumerate(seeds_raw))
    if len(set(seeds)) != len(seeds):
        raise read.fail("seeds", f"duplicate seeds in {list(seeds)}")
    device = read.string(top.get("device", "auto"), "device", DEVICES)
    resources = read.resources(top.get("resources"), "resources", Resources())
    max_failures = read.integer(top.get("max_failures", 0), "max_failures", minimum=0)
    evaluation = _parse_evaluation(read, top.get("evaluation"))
    datasets = _parse_datasets(read, top.get("datasets"))
    tuned_path = top.get("tuned")
    tuned = _read_tuned(read, tuned_path) if tuned_path is not None and take_tuned else None
    methods = _parse_methods(read, top.get("methods"), tuned)
    for baseline in evaluation.baselines:
        if baseline not in methods:
            raise read.fail("evaluation.baseline", f"{baseline!r} is not an entry of methods: ({', '.join(methods)})")
    tokenizers = {
        label: read.tokenizer(entry, _join("tokenizers", label), default_name=label)
        for label, entry in read.mapping(top.get("tokenizers"), "tokenizers").items()
    }
    ablations = _parse_ablations(read, top.get("ablations"), methods)
    tracking = _parse_tracking(read, top.get("tracking"))
    tuning = _parse_tuning(read, top.get("tuning"), datasets) if "tuning" in top else None
    return BenchmarkConfig(
        source=source,
        experiment=experiment,
        results_dir=results_dir,
        seeds=seeds,
        device=device,
        resources=resources,
        max_failures=max_failures,
        datasets=datasets,
        methods=methods,
        evaluation=evaluation,
        tokenizers=tokenizers,
        ablations=ablations,
        tracking=tracking,
        tuning=tuning,
        tuned=None if tuned_path is None else os.path.expanduser(tuned_path),
        tuned_protocol=tuned["protocol"] if tuned else {},
    )


def _parse_tuning(read: _Reader, value: Any, datasets: Mapping[str, DatasetConfig]) -> TuningConfig:
    raw = read.mapping(value, "tuning", TUNING_KEYS)
    base = TuningConfig()

    def count(name: str, minimum: int) -> int:
        return read.integer(raw.get(name, getattr(base, name)), _join("tuning", name), minimum=minimum)

    dataset = raw.get("dataset")
    if dataset is not None:
        dataset = read.string(dataset, "tuning.dataset")
        if dataset not in datasets:
            raise read.fail("tuning.dataset", f"{dataset!r} is not an entry of datasets: ({', '.join(datasets)})")
    return TuningConfig(
        samples=count("samples", 1),
        max_epochs=count("max_epochs", 1),
        search=read.string(raw.get("search", base.search), "tuning.search", SEARCHES),
        scheduler=read.string(raw.get("scheduler", base.scheduler), "tuning.scheduler", SCHEDULERS),
        grace_period=count("grace_period", 1),
        reduction_factor=count("reduction_factor", 2),
        seed=read.integer(raw.get("seed", base.seed), "tuning.seed", minimum=0, maximum=MAX_SEED),
        dataset=dataset or next(iter(datasets)),
        concurrent=count("concurrent", 0),
    )


def _read_tuned(read: _Reader, value: Any) -> dict[str, Any]:
    """The `tuned:` file (what `suite tune` wrote): `{samples, methods: {entry: {param: value}}}`."""
    path = Path(os.path.expanduser(read.string(value, "tuned")))
    where = f"tuned: {path}"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise read.fail("tuned", f"{path}: no such file; `suite tune` (make tune) writes it") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise read.fail("tuned", f"{path}: not a tuned-parameters file ({type(error).__name__})") from None
    tuned = read.mapping(raw, where, ("tuning", "methods"))
    samples = read.mapping(tuned.get("tuning"), f"{where}: tuning").get("samples", 0)
    read.integer(samples, f"{where}: tuning.samples", minimum=0)
    methods = read.mapping(tuned.get("methods"), f"{where}: methods")
    for name, params in methods.items():
        read.mapping(params, f"{where}: methods.{name}")
    return {"samples": samples, "methods": methods, "protocol": dict(tuned.get("tuning") or {})}


def _tuned_params(
    read: _Reader, schema: _ParamSchema, key: str, given: Mapping[str, Any], tuned: Mapping[str, Any]
) -> dict[str, Any]:
    """The parameters `tuned` chose for one entry, validated; an entry that also sets one is an error."""
    params = {}
    for param, value in tuned.items():
        if param in given and param != "tokenizer":
            raise read.fail(_join(key, param), "is also chosen by the tuned: file; set it in one place")
        if param == "tokenizer":
            base = given.get("tokenizer") or schema.training.get("tokenizer") or {}  # the entry's, else the default
            value = {**base, **read.mapping(value, _join(key, param))}
        params[param] = schema.value(param, value, _join(key, param))
    return params


def _parse_evaluation(read: _Reader, value: Any) -> EvaluationConfig:
    raw = read.mapping(value, "evaluation", EVALUATION_KEYS)
    base = EvaluationConfig()
    ks_raw = read.items(raw.get("ks", list(base.ks)), "evaluation.ks")
    ks = tuple(sorted({read.integer(k, _join("evaluation.ks", i), 1) for i, k in enumerate(ks_raw)}))
    length = read.integer(raw.get("list_length", base.list_length), "evaluation.list_length", minimum=1)
    if max(ks) > length:
        raise read.fail("evaluation.list_length", f"must be at least the largest K ({max(ks)}), got {length}")
    metrics_raw = read.items(raw.get("metrics", list(base.metrics)), "evaluation.metrics")
    metrics = tuple(_metric(read, m, _join("evaluation.metrics", i), ks) for i, m in enumerate(metrics_raw))
    select = _metric(read, raw.get("select_metric", base.select_metric), "evaluation.select_metric", ks)
    chosen = parse_metric(select)[0]
    if chosen.needs != {RANKS} or not chosen.per_user:
        raise read.fail("evaluation.select_metric", f"{select} is not a per-user metric of the target's rank")
    alpha = read.number(raw.get("alpha", base.alpha), "evaluation.alpha")
    if not 0 < alpha < 1:
        raise read.fail("evaluation.alpha", f"must lie strictly between 0 and 1, got {alpha:g}")
    ci = raw.get("ci")
    if ci is not None:
        ci = read.number(ci, "evaluation.ci")
        if not 0 < ci < 1:
            raise read.fail("evaluation.ci", f"must lie strictly between 0 and 1, got {ci:g}")
    return EvaluationConfig(
        ks=ks,
        metrics=metrics,
        select_metric=select,
        test=read.registered_name(raw.get("test", base.test), "evaluation.test", tests),
        correction=read.registered_name(raw.get("correction", base.correction), "evaluation.correction", corrections),
        alpha=alpha,
        baselines=_baselines(read, raw.get("baseline")),
        list_length=length,
        ci=ci,
    )


def evaluation_with(evaluation: EvaluationConfig, changes: Mapping[str, Any], source: str) -> EvaluationConfig:
    """`evaluation` with `changes` in the YAML's spelling (`baseline`, lists), validated as the YAML is;
    errors name `source`. Cut-offs that the changed metrics need are added to `ks` unless `ks` changes too."""
    raw = {
        "ks": list(evaluation.ks),
        "metrics": list(evaluation.metrics),
        "select_metric": evaluation.select_metric,
        "test": evaluation.test,
        "correction": evaluation.correction,
        "alpha": evaluation.alpha,
        "baseline": list(evaluation.baselines) or None,
        "list_length": evaluation.list_length,
        "ci": evaluation.ci,
        **changes,
    }
    if "metrics" in changes and "ks" not in changes and isinstance(changes["metrics"], list):
        needed = [int(m.rpartition("@")[2]) for m in changes["metrics"] if str(m).rpartition("@")[2].isdigit()]
        raw["ks"] = sorted({*raw["ks"], *needed})
    return _parse_evaluation(_Reader(source), raw)


def _baselines(read: _Reader, value: Any) -> tuple[str, ...]:
    """`baseline: tiger` or `baseline: [pop, tiger]`."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(
        read.string(v, _join("evaluation.baseline", i)) for i, v in enumerate(read.items(value, "evaluation.baseline"))
    )


def _metric(read: _Reader, value: Any, key: str, ks: tuple[int, ...]) -> str:
    text = read.string(value, key)
    try:
        _, k = parse_metric(text)
    except ValueError as error:
        raise read.fail(key, str(error)) from None
    if k not in ks:
        raise read.fail(key, f"{text} needs K={k} in evaluation.ks {list(ks)}")
    return text


def _parse_datasets(read: _Reader, value: Any) -> dict[str, DatasetConfig]:
    datasets = {}
    for name, key, entry in read.entries(value, "datasets"):
        spec = read.mapping(entry, key, DATASET_KEYS)
        if "loader" in spec:
            loader = read.registered_name(spec["loader"], _join(key, "loader"), loaders)
        elif name in BUILTIN_DATASETS:
            loader = BUILTIN_DATASETS[name]
        else:
            raise read.fail(
                key,
                f"unknown dataset {name!r} (built in: {', '.join(BUILTIN_DATASETS)}; "
                f"otherwise give loader: ({', '.join(loaders.names())}) and path:)",
            )
        path = spec.get("path")
        if path is not None:
            path = read.string(path, _join(key, "path"))
        elif name not in BUILTIN_DATASETS:
            raise read.fail(_join(key, "path"), "required for a dataset that is not built in")
        max_users = spec.get("max_users")
        if max_users is not None:
            max_users = read.integer(max_users, _join(key, "max_users"), minimum=1)
        category = spec.get("category")
        if category is not None:
            category = read.string(category, _join(key, "category"))
        datasets[name] = DatasetConfig(
            name=name,
            loader=loader,
            path=path,
            category=category,
            k_core=read.integer(
                spec.get("k_core", loaders.get(loader).default_k_core), _join(key, "k_core"), minimum=0
            ),
            history=read.integer(spec.get("history", 50), _join(key, "history"), minimum=1),
            min_items=read.integer(spec.get("min_items", 3), _join(key, "min_items"), minimum=3),
            max_users=max_users,
            encoder=read.string(spec.get("encoder", DEFAULT_ENCODER), _join(key, "encoder")),
        )
    return datasets


def _parse_methods(read: _Reader, value: Any, tuned: Mapping[str, Any] | None = None) -> dict[str, MethodConfig]:
    methods = {}
    for name, key, entry in read.entries(value, "methods"):
        spec = dict(read.mapping(entry, key))
        method_name = read.string(spec.pop("method", name), _join(key, "method"))
        cls = read.registered(method_registry, method_name, _join(key, "method") if method_name != name else key)
        grid_raw = read.mapping(spec.pop("grid", None), _join(key, "grid"))
        variants_raw = read.mapping(spec.pop("variants", None), _join(key, "variants"))
        search_raw = read.mapping(spec.pop("search", None), _join(key, "search"))
        if search_raw and grid_raw:
            raise read.fail(key, "grid: and search: both choose parameters on validation; give one of them")
        resources_raw = spec.pop("resources", None)
        label = _label(read, spec.pop("label", None), _join(key, "label"))
        resources = (
            None if resources_raw is None else read.resources(resources_raw, _join(key, "resources"), Resources())
        )
        schema = _ParamSchema(read, cls, key)
        chosen = (tuned or {}).get("methods", {}).get(name)
        params = {p: schema.value(p, v, _join(key, p)) for p, v in spec.items()}
        if chosen is not None:
            params.update(_tuned_params(read, schema, key, spec, chosen))
        grid = {p: schema.axis(p, v, _join(_join(key, "grid"), p), inference=False) for p, v in grid_raw.items()}
        variants = {
            p: schema.axis(p, v, _join(_join(key, "variants"), p), inference=True) for p, v in variants_raw.items()
        }
        search = {
            p: schema.domain(p, v, _join(_join(key, "search"), p), params.get("tokenizer"))
            for p, v in search_raw.items()
        }
        methods[name] = MethodConfig(
            name=name,
            method=method_name,
            params=params,
            grid=grid,
            variants=variants,
            resources=resources,
            label=label,
            search=search,
            tuned_samples=tuned["samples"] if chosen is not None else 0,
        )
    _unique_labels(read, "methods", {name: entry.label or name for name, entry in methods.items()})
    return methods


def _parse_ablations(read: _Reader, value: Any, entries: Mapping[str, MethodConfig]) -> dict[str, AblationConfig]:
    ablations = {}
    for name, entry in read.mapping(value, "ablations").items():
        key = _join("ablations", name)
        read.name(name, key)
        spec = read.mapping(entry, key, ABLATION_KEYS)
        method = read.string(spec.get("method"), _join(key, "method"))
        if method not in entries:
            raise read.fail(_join(key, "method"), f"{method!r} is not an entry of methods: ({', '.join(entries)})")
        if ("vary" in spec) == ("rows" in spec):
            raise read.fail(key, "give exactly one of vary: (one parameter and its values) or rows: (named overrides)")
        schema = _ParamSchema(read, method_registry.get(entries[method].method), key)
        tokenizer = entries[method].params.get("tokenizer")
        rows: dict[str, dict[str, Any]] = {}
        labels: dict[str, str] = {}
        param = None
        if "vary" in spec:
            vary = read.mapping(spec["vary"], _join(key, "vary"))
            if len(vary) != 1:
                raise read.fail(_join(key, "vary"), f"expected one parameter, got {len(vary)}")
            ((param, values),) = vary.items()
            where = _join(_join(key, "vary"), param)
            if split_name(param)[1] is not None:  # `tokenizer.collisions: [sinkhorn]`: one key of the entry's tokenizer
                for value in read.items(values, where):
                    if f"{param}={value}" in rows:
                        raise read.fail(where, f"duplicate values in {values}")
                    rows[f"{param}={value}"] = schema.override(param, value, _join(key, "vary"), tokenizer)
            else:
                for value in schema.axis(param, values, where, inference=None):
                    label = tokenizer_label(value) if param == "tokenizer" else str(value)
                    rows[f"{param}={label}"] = {param: value}
        else:
            for label, overrides in read.mapping(spec["rows"], _join(key, "rows")).items():
                row_key = _join(_join(key, "rows"), label)
                if label == FULL_MODEL:
                    raise read.fail(
                        row_key, f"{FULL_MODEL!r} is the name of every ablation's reference row; choose another"
                    )
                raw = dict(read.mapping(overrides, row_key))
                shown = _label(read, raw.pop("label", None), _join(row_key, "label"))
                if shown is not None:
                    labels[str(label)] = shown
                if not raw:
                    raise read.fail(row_key, "a row needs at least one parameter override")
                rows[str(label)] = {}
                for p, v in raw.items():
                    rows[str(label)].update(schema.override(p, v, row_key, tokenizer))
        _unique_labels(read, _join(key, "rows"), {row: labels.get(row, row) for row in rows})
        ablations[name] = AblationConfig(name=name, method=method, rows=rows, axis=param, labels=labels)
    return ablations


def _parse_tracking(read: _Reader, value: Any) -> TrackingConfig:
    """`tracking: {tensorboard: true, mlflow: true}`; `mlflow: {tracking_uri: ...}` for a server."""
    raw = read.mapping(value, "tracking", ("tensorboard", "mlflow"))
    tensorboard = raw.get("tensorboard", False)
    if not isinstance(tensorboard, bool):
        raise read.fail("tracking.tensorboard", f"expected bool, got {_describe(tensorboard)}")
    mlflow, uri = raw.get("mlflow", False), None
    if isinstance(mlflow, dict):
        spec = read.mapping(mlflow, "tracking.mlflow", ("tracking_uri",))
        uri = read.string(spec["tracking_uri"], "tracking.mlflow.tracking_uri") if "tracking_uri" in spec else None
        mlflow = True
    elif not isinstance(mlflow, bool):
        raise read.fail("tracking.mlflow", f"expected bool or {{tracking_uri: ...}}, got {_describe(mlflow)}")
    return TrackingConfig(tensorboard=tensorboard, mlflow=mlflow, mlflow_uri=uri)


def _label(read: _Reader, value: Any, key: str) -> str | None:
    """A `label:`: how a row is shown in tables and figures (any text; never part of a trial key)."""
    if value is None:
        return None
    text = read.string(value, key)
    if not text.strip():
        raise read.fail(key, "a label cannot be empty")
    return text


def _unique_labels(read: _Reader, key: str, shown: Mapping[str, str]) -> None:
    """Two rows of one table cannot be shown under the same name."""
    seen: dict[str, str] = {}
    for name, text in shown.items():
        if text in seen:
            raise read.fail(key, f"{seen[text]!r} and {name!r} would both be shown as {text!r}")
        seen[text] = name


class _ParamSchema:
    """Checks method parameters against the types of the method's declared defaults."""

    def __init__(self, read: _Reader, cls: type, key: str):
        self.read, self.cls, self.key = read, cls, key
        self.training = dict(cls.defaults)
        self.inference = dict(cls.inference_defaults)
        self.choices = dict(cls.choices)

    def known(self, param: str, key: str) -> Any:
        """The default of `param`; an error naming the allowed parameters if it has none."""
        known = {**self.training, **self.inference}
        if param not in known:
            allowed = ", ".join(sorted(known) + list(RESERVED_METHOD_KEYS))
            raise self.read.fail(key, f"unknown parameter of method {self.cls.name!r} (allowed: {allowed})")
        return known[param]

    def value(self, param: str, value: Any, key: str) -> Any:
        default = self.known(param, key)
        if param == "tokenizer":
            return self.read.tokenizer(value, key)
        value = _coerce(self.read, default, value, key)
        if param in self.choices and value not in self.choices[param]:
            options = ", ".join(map(str, self.choices[param]))
            raise self.read.fail(key, f"unknown value {value!r} (choose from: {options})")
        return value

    def override(self, name: str, value: Any, within: str, tokenizer: Mapping[str, Any] | None) -> dict[str, Any]:
        """An ablation row's override of `name` (a key of the mapping at `within`), as `{param: value}`.
        A dotted name sets one key of the entry's tokenizer (`tokenizer.collisions: sinkhorn`) and
        keeps the rest, a tuned: file's choices too."""
        param, inner = split_name(name)
        self.known(param, _join(within, name))
        if inner is None:
            return {param: self.value(param, value, _join(within, name))}
        if param != "tokenizer":
            raise self.read.fail(
                _join(within, name), f"only the tokenizer's keys can be set by a dotted name, not {param!r}'s"
            )
        return {param: self.tokenizer_with(inner, value, _join(within, param), tokenizer)}

    def tokenizer_with(self, inner: str, value: Any, key: str, tokenizer: Mapping[str, Any] | None) -> dict[str, Any]:
        """The entry's tokenizer (the method's default where it names none) with its key `inner`
        set to `value`, checked and completed: what a dotted name means, in search: or ablations:."""
        return self.read.tokenizer({**(tokenizer or self.training["tokenizer"]), inner: value}, key)

    def domain(self, name: str, raw: Any, key: str, tokenizer: Mapping[str, Any] | None) -> Domain:
        """One `search:` entry, `{loguniform: [0.0001, 0.01]}`: a training parameter (or a key of
        the tokenizer, `tokenizer.input`) and a domain whose values that parameter accepts."""
        param, inner = split_name(name)
        self.known(param, key)
        if param in self.inference:
            raise self.read.fail(key, "only changes inference: compare its values with variants:, on validation")
        spec = self.read.mapping(raw, key, KINDS)
        if len(spec) != 1:
            raise self.read.fail(key, f"expected one of {', '.join(KINDS)}, e.g. {{loguniform: [0.0001, 0.01]}}")
        ((kind, args),) = spec.items()
        where = _join(key, kind)
        if inner is not None and param != "tokenizer":
            raise self.read.fail(key, f"only the tokenizer's keys can be searched by a dotted name, not {param!r}'s")
        if inner is not None:

            def check(value: Any, at: str) -> Any:
                return self.tokenizer_with(inner, value, at, tokenizer).get(inner, value)
        else:

            def check(value: Any, at: str) -> Any:
                return self.value(param, value, at)

        if kind == "choice":
            values = [check(v, _join(where, i)) for i, v in enumerate(self.read.items(args, where))]
            if len(set(map(repr, values))) != len(values):
                raise self.read.fail(where, f"duplicate values in {values}")
            return Domain(kind, json.dumps(values))
        if not isinstance(args, list) or len(args) != 2:
            raise self.read.fail(where, f"expected [low, high], got {_describe(args)}")
        if kind == "randint":
            low, high = (self.read.integer(v, _join(where, i)) for i, v in enumerate(args))
        else:
            low, high = (self.read.number(v, _join(where, i)) for i, v in enumerate(args))
        if not low < high:
            raise self.read.fail(where, f"low must be below high, got [{low:g}, {high:g}]")
        if kind == "loguniform" and low <= 0:
            raise self.read.fail(where, f"a log-uniform domain needs a positive low, got {low:g}")
        check(low, _join(where, 0))
        if kind != "randint" or high - 1 > low:
            check(high - 1 if kind == "randint" else high, _join(where, 1))
        return Domain(kind, json.dumps([low, high]))

    def axis(self, param: str, values: Any, key: str, inference: bool | None) -> tuple:
        """Values of one axis; `inference` True or False insists on that kind of parameter."""
        self.known(param, key)
        if inference is True and param in self.training:
            raise self.read.fail(key, "changes training, so it belongs under grid:, not variants:")
        if inference is False and param in self.inference:
            raise self.read.fail(key, "only changes inference, so it belongs under variants:, not grid:")
        items = self.read.items(values, key)
        coerced = tuple(self.value(param, v, _join(key, i)) for i, v in enumerate(items))
        if len(set(map(repr, coerced))) != len(coerced):
            raise self.read.fail(key, f"duplicate values in {list(coerced)}")
        return coerced


def _coerce(read: _Reader, default: Any, value: Any, key: str) -> Any:
    """Accept `value` if it has the type of `default` (an int where a float is expected too).

    No method or tokenizer parameter is negative (sizes, rates, counts, weights).
    """
    if default is None:
        return value
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise read.fail(key, f"expected bool, got {_describe(value)}")
        return value
    if isinstance(default, int):
        return read.integer(value, key, minimum=0)
    if isinstance(default, float):
        return read.number(value, key, minimum=0)
    if isinstance(default, str):
        return read.string(value, key)
    if isinstance(default, list | tuple):
        if not isinstance(value, list):
            raise read.fail(key, f"expected a list, got {_describe(value)}")
        if not default:
            return list(value)
        # every item has the type of the default's items (layer sizes: non-negative ints)
        return [_coerce(read, default[0], item, _join(key, i)) for i, item in enumerate(value)]
    if isinstance(default, dict):
        raw = read.mapping(value, key)
        return {
            name: _coerce(read, default[name], item, _join(key, name)) if name in default else item
            for name, item in raw.items()
        }
    raise read.fail(key, f"parameter type {type(default).__name__} is not supported in YAML")
