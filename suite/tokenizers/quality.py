"""Fit every tokenizer a benchmark YAML names and gather its quality figures, per dataset.

Fits go through the cache (`suite.tokenizers.fitting`), so a tokenizer a trial already fitted
is loaded, not refitted. `suite.report.tokenizers` writes the table.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from suite.data.prepare import prepare
from suite.registry import get_method
from suite.tokenizers.base import complete_tokenizer, get_tokenizer, known_tokenizers, tokenizer_label
from suite.tokenizers.fitting import catalog_semantic_ids
from suite.types import BenchmarkConfig


def tokenizers_to_report(config: BenchmarkConfig) -> dict[str, dict[str, Any]]:
    """The YAML's `tokenizers:` section, plus every tokenizer a method entry, its grid or an
    ablation row names (a method's default tokenizer when it names none); all defaults if none."""
    chosen: dict[str, dict[str, Any]] = dict(config.tokenizers)
    named = []
    for method in config.methods.values():
        default = get_method(method.method).defaults.get("tokenizer")
        named += [method.params.get("tokenizer", default), *method.grid.get("tokenizer", ())]
    for ablation in config.ablations.values():
        named += [row.get("tokenizer") for row in ablation.rows.values()]
    for value in named:
        if value is not None:
            completed = complete_tokenizer(value)
            chosen.setdefault(tokenizer_label(completed), completed)
    if not chosen:
        chosen = {name: {"name": name, **get_tokenizer(name).defaults} for name in known_tokenizers()}
    return chosen


def tokenizer_rows(config: BenchmarkConfig, chosen: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    seed = config.seeds[0]
    rows = []
    for dataset in config.datasets.values():
        data = prepare(dataset)
        for label, tokenizer in chosen.items():
            ids, cached = catalog_semantic_ids(data, dataset.encoder, tokenizer, seed)
            stats = ids.stats
            rows.append(
                {
                    "dataset": dataset.name,
                    "tokenizer": label,
                    "sid_length": ids.length,
                    "codebook_sizes": list(ids.codebook_sizes),
                    "collision_rate": stats["collision_rate"],
                    "max_items_per_sid": stats["max_items_per_sid"],
                    "utilization": stats["utilization"],
                    "entropy_bits": stats["entropy_bits"],
                    "max_entropy_bits": stats["max_entropy_bits"],
                    "reconstruction_mse": stats["reconstruction_mse"],
                    "fit_seconds": stats["fit_seconds"],
                    "cached": cached,
                }
            )
    return rows
