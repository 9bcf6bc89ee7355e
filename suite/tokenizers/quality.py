"""Fit every tokenizer a benchmark YAML names and gather its quality figures, per dataset.

Fits go through the cache (`suite.tokenizers.fitting`), so a tokenizer a trial already fitted
is loaded, not refitted. `suite.report.tokenizers` writes the table.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from suite.data.prepare import prepare
from suite.tokenizers.base import get_tokenizer, known_tokenizers, tokenizer_label
from suite.tokenizers.fitting import catalog_semantic_ids
from suite.types import BenchmarkConfig


def tokenizers_to_report(config: BenchmarkConfig) -> dict[str, dict[str, Any]]:
    """The YAML's `tokenizers:` section, plus every tokenizer a method uses; all defaults if none."""
    chosen: dict[str, dict[str, Any]] = dict(config.tokenizers)
    for method in config.methods.values():
        for value in [method.params.get("tokenizer"), *method.grid.get("tokenizer", ())]:
            if value is not None:
                chosen.setdefault(tokenizer_label(value), dict(value))
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
