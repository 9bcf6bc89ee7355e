"""Figures in the shape of the papers': a metric against an ablation axis, and Recall@K against K.

Each method keeps one colour in every figure (its place among the experiment's methods in a
fixed palette). A numeric axis (steps, beam) is drawn as a line, any other (order, attention,
tokenizer, named rows) as bars; error bars are the std over seeds. PNGs, drawn headless.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from suite.metrics import metric_label  # noqa: E402
from suite.report.leaderboard import Leaderboard  # noqa: E402
from suite.store import Store  # noqa: E402
from suite.types import FULL_MODEL, EvaluationConfig  # noqa: E402

plt.rcParams["svg.hashsalt"] = "genrec-suite"  # stable element ids in SVG files
FORMATS = {"png": {}, "pdf": {"CreationDate": None}, "svg": {"Date": None}}
PALETTE = plt.get_cmap("tab10").colors
MARKERS = ("o", "s", "^", "D", "v")


def method_colours(methods: Sequence[str]) -> dict[str, tuple]:
    """A stable colour per method name: its place in sorted order, in the tab10 palette."""
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(sorted(methods))}


def _save(figure: plt.Figure, store: Store, name: str) -> None:
    """PNG for a quick look, PDF and SVG (vector) for papers; no dates inside, so a rebuilt
    report writes the same bytes."""
    for kind, metadata in FORMATS.items():
        buffer = io.BytesIO()
        figure.savefig(buffer, format=kind, dpi=150, bbox_inches="tight", metadata=metadata)
        store.write_figure(name, kind, buffer.getvalue())
    plt.close(figure)


def _axis_values(labels: Sequence[str], axis: str | None) -> tuple[list[str], list[float] | None]:
    """Tick labels (the value after `axis=`) and, when every value is a number, the numbers."""
    if axis is None:
        return list(labels), None
    ticks = [label.split("=", 1)[1] if label.startswith(f"{axis}=") else label for label in labels]
    try:  # a value merged with the full model reads `5 (full model)`
        return ticks, [float(t.removesuffix(f" ({FULL_MODEL})")) for t in ticks]
    except ValueError:
        return ticks, None


def ablation_figure(
    store: Store,
    name: str,
    table: Leaderboard,
    axis: str | None,
    method: str,
    colour: tuple,
    evaluation: EvaluationConfig,
) -> None:
    """One panel per dataset: the select metric and Recall@max K of each row of an ablation."""
    cells = table.cells
    labels = [r for r in table.rows if axis is None or r != FULL_MODEL]
    ticks, numbers = _axis_values(labels, axis)
    ticks = [table.labels.get(label, tick) for label, tick in zip(labels, ticks, strict=True)]
    top = f"recall@{max(evaluation.ks)}"
    metrics = list(dict.fromkeys([evaluation.select_metric, top]))
    figure, axes = plt.subplots(1, len(table.datasets), figsize=(4.8 * len(table.datasets), 3.6), squeeze=False)
    for panel, dataset in zip(axes[0], table.datasets, strict=True):
        for m, metric in enumerate(metrics):
            part = cells[(cells["dataset"] == dataset) & (cells["metric"] == metric)].set_index("row")
            means = [part["mean"].get(label, math.nan) for label in labels]
            stds = [0.0 if math.isnan(s) else s for s in (part["std"].get(label, math.nan) for label in labels)]
            style = {"color": colour, "alpha": 1.0 if m == 0 else 0.55, "label": metric_label(metric)}
            if numbers is not None:
                panel.errorbar(numbers, means, yerr=stds, marker=MARKERS[m], capsize=3, **style)
                panel.set_xticks(numbers, ticks)
            else:
                width = 0.8 / len(metrics)
                positions = [i + (m - (len(metrics) - 1) / 2) * width for i in range(len(labels))]
                panel.bar(positions, means, width=width, yerr=stds, capsize=3, hatch="//" if m else None, **style)
                panel.set_xticks(range(len(labels)), ticks, rotation=30, ha="right")
        panel.set_xlabel(axis or "variant")
        panel.set_ylabel("metric value (test, mean over seeds)")
        panel.set_title(f"{method}: {name} ablation on {dataset}")
        panel.grid(alpha=0.3)
        panel.legend(title=method, fontsize=8)
    _save(figure, store, f"ablation-{name}")


def recall_at_k_figure(store: Store, board: Leaderboard, colours: dict[str, tuple], ks: Sequence[int]) -> None:
    """Recall@K against K, one line per method, one panel per dataset."""
    cells = board.cells
    datasets = board.datasets
    figure, axes = plt.subplots(1, len(datasets), figsize=(4.8 * len(datasets), 3.6), squeeze=False)
    for panel, dataset in zip(axes[0], datasets, strict=True):
        part = cells[cells["dataset"] == dataset]
        for row in reversed(board.rows):  # best first in the legend
            recall = part[(part["row"] == row) & part["metric"].str.startswith("recall@")]
            if recall.empty:
                continue
            recall = recall.assign(k=recall["metric"].str.split("@").str[1].astype(int)).sort_values("k")
            recall = recall[recall["k"].isin(ks)]
            panel.errorbar(
                recall["k"],
                recall["mean"],
                yerr=recall["std"].fillna(0.0),
                marker="o",
                capsize=3,
                color=colours.get(row, "grey"),
                label=board.shown(row),
            )
        panel.set_xlabel("K (list length)")
        panel.set_ylabel("Recall@K (test, mean over seeds)")
        panel.set_title(f"Recall@K on {dataset}")
        panel.set_xticks(sorted(ks))
        panel.grid(alpha=0.3)
        if panel.get_legend_handles_labels()[0]:  # no line when the report asks for no recall@K
            panel.legend(fontsize=8)
    _save(figure, store, "recall-at-k")
