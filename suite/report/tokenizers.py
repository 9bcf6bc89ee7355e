"""The tokenizer report's table: collisions, codebook use, entropy, reconstruction and fit time.

The figures come from `suite.tokenizers.quality`, which fits the tokenizers.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from tabulate import tabulate

from suite.store import TOKENIZERS, Store


def _per_position(values: list[float], maxima: list[float] | None = None) -> str:
    if maxima is None:
        return " / ".join(f"{v:.2f}" for v in values)
    return " / ".join(f"{v:.2f} of {m:.2f}" for v, m in zip(values, maxima, strict=True))


def write_tokenizer_report(store: Store, rows: list[dict[str, Any]]) -> str:
    """Write `tokenizers.{md,csv}`; return the markdown."""
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
    store.write_table(TOKENIZERS, markdown, pd.DataFrame(rows))
    return markdown
