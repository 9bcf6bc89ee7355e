"""Ablation tables in the shape of LLaDA-Rec Table 4: variant rows, dataset x metric columns.

`ablations.json` (written by the runner) says where each row's results live: a leaderboard
row and a variant of its trials. Every row is tested against the full model.
`variant_tables` gives the same shape to a method's own `variants:` that no ablation shows.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from suite.report.collect import Collected
from suite.report.leaderboard import Leaderboard, compare_rows, efficiency_frame
from suite.types import DEFAULT_VARIANT, FULL_MODEL, EvaluationConfig


def ablation_frame(collected: Collected, rows: dict[str, dict[str, str]]) -> pd.DataFrame:
    """Per-user values of each ablation row, relabelled by the row's label; rows without results are left out."""
    frame = collected.per_user
    parts = []
    for label, where in rows.items():
        part = frame[(frame["row"] == where["row"]) & (frame["variant"] == where["variant"])]
        parts.append(part.assign(row=label))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def merged_with_reference(rows: dict[str, dict[str, str]], reference: str) -> tuple[dict[str, dict[str, str]], str]:
    """The rows, with those that are the `reference` under another name (e.g. `attention=
    bidirectional`, the full model's own mask) merged into it: one row, labelled
    `attention=bidirectional (full model)`, in the place of the first of them. Returns the rows
    and the reference's label."""
    same = [label for label, where in rows.items() if label != reference and where == rows.get(reference)]
    if not same:
        return rows, reference
    merged = f"{' = '.join(same)} ({reference})"
    kept = {}
    for label, where in rows.items():
        if label == same[0]:
            kept[merged] = where
        elif label != reference and label not in same:
            kept[label] = where
    return kept, merged


def build_ablation_table(
    collected: Collected, ablation: dict[str, Any], evaluation: EvaluationConfig, reference: str = FULL_MODEL
) -> Leaderboard:
    """The ablation's rows (labels to `{row, variant}`), each tested against the `reference` row."""
    rows, reference = merged_with_reference(ablation["rows"], reference)
    frame = ablation_frame(collected, rows)
    if frame.empty:
        frame = pd.DataFrame(columns=["dataset", "row", "seed", "user", *evaluation.metrics])
    cells = compare_rows(frame, evaluation, reference=reference)
    present = set(frame["row"])
    users = frame.groupby("dataset")["user"].nunique().to_dict()
    return Leaderboard(
        cells=cells,
        rows=[label for label in rows if label in present],
        datasets=sorted(frame["dataset"].unique()),
        users=users,
        comparisons=int(cells["p_value"].notna().sum()),
        reference=reference,
        efficiency=efficiency_frame(
            collected, {label: (where["row"], where["variant"]) for label, where in rows.items()}
        ),
        pending=[label for label in rows if label not in present],
        missing={label: collected.missing[w["row"]] for label, w in rows.items() if w["row"] in collected.missing},
        labels={label: where["label"] for label, where in rows.items() if "label" in where},
    )


def variant_tables(collected: Collected, ablations: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """For each row of `collected` (the leaderboard's) with decoding variants that no ablation
    shows (e.g. GREED's `condition`), an ablation-shaped entry: its default first, then those."""
    shown = {(where["row"], where["variant"]) for a in ablations.values() for where in a["rows"].values()}
    tables = {}
    pairs = collected.decoding[["row", "variant"]].drop_duplicates()
    for row, part in pairs.groupby("row", sort=True):
        extra = [v for v in part["variant"] if v != DEFAULT_VARIANT and (row, v) not in shown]
        if extra:
            rows = {DEFAULT_VARIANT: {"row": row, "variant": DEFAULT_VARIANT}}
            rows.update({variant: {"row": row, "variant": variant} for variant in extra})
            tables[row] = {"method": row, "axis": None, "rows": rows}
    return tables
