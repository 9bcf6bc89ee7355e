"""The dataset statistics table, in the shape of LLaDA-Rec Table 2."""

from __future__ import annotations

import pandas as pd
from tabulate import tabulate

from suite.store import DATASETS, Store


def _share(value: float | None) -> str:
    return "–" if value is None or pd.isna(value) else f"{value:.1%}"


def write_dataset_stats(store: Store, stats: dict[str, dict[str, float]]) -> str:
    """Write `datasets.{md,csv}` and return the markdown table."""
    frame = pd.DataFrame([{"dataset": name, **values} for name, values in stats.items()])
    shown = pd.DataFrame(
        {
            "Dataset": frame["dataset"],
            "#Users": frame["users"].map("{:,}".format),
            "#Items": frame["items"].map("{:,}".format),
            "#Interactions": frame["interactions"].map("{:,}".format),
            "Sparsity": frame["sparsity"].map("{:.3%}".format),
            "Avg.len": frame["avg_len"].map("{:.2f}".format),
            # time ties, which file order breaks (see README, Protocol)
            "Tied ts": frame.get("tied_share", pd.Series([None] * len(frame))).map(_share),
            "Tied valid/test": frame.get("tied_valid_test_share", pd.Series([None] * len(frame))).map(_share),
        }
    )
    markdown = tabulate(shown, headers="keys", tablefmt="pipe", showindex=False, disable_numparse=True)
    store.write_table(DATASETS, markdown + "\n", frame)
    return markdown
