"""The tokenizer report: collisions, codebook use, entropy, reconstruction and fit time."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from tabulate import tabulate

from suite.config import BenchmarkConfig
from suite.data.prepare import prepare
from suite.store import write_frame, write_text
from suite.tokenizers.base import get_tokenizer, known_tokenizers
from suite.tokenizers.fitting import catalog_semantic_ids, tokenizer_label


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


def _per_position(values: list[float], maxima: list[float] | None = None) -> str:
    if maxima is None:
        return " / ".join(f"{v:.2f}" for v in values)
    return " / ".join(f"{v:.2f} of {m:.2f}" for v, m in zip(values, maxima, strict=True))


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


def write_tokenizer_report(root: Path, rows: list[dict[str, Any]]) -> str:
    """Write `tokenizers.{md,csv}` under `root`; return the markdown."""
    shown = [
        [
            r["dataset"],
            r["tokenizer"],
            " x ".join(map(str, r["codebook_sizes"])),
            f"{r['collision_rate']:.2%}",
            r["max_items_per_sid"],
            _per_position(r["utilization"]),
            _per_position(r["entropy_bits"], r["max_entropy_bits"]),
            "–" if r["reconstruction_mse"] is None else f"{r['reconstruction_mse']:.2e}",
            f"{r['fit_seconds']:.1f}",
        ]
        for r in rows
    ]
    headers = [
        "Dataset",
        "Tokenizer",
        "Codebooks (+dedup)",
        "Collisions",
        "Max items/SID",
        "Utilization per position",
        "Entropy bits per position (of max)",
        "Recon. MSE",
        "Fit s",
    ]
    markdown = tabulate(shown, headers=headers, tablefmt="pipe", disable_numparse=True)
    markdown += (
        "\n\nCollisions: share of items whose code tuple an earlier item already has, before the dedup "
        "position is added. Utilization and entropy are per code position, dedup position excluded. "
        "Fit seconds are those of the fit that filled the cache.\n"
    )
    write_text(root / "tokenizers.md", markdown)
    write_frame(root / "tokenizers.csv", pd.DataFrame(rows))
    return markdown
