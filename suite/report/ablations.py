"""Ablation tables in the shape of LLaDA-Rec Table 4: variant rows, dataset x metric columns.

`ablations.json` (written by the runner) says where each row's results live: a leaderboard
row and a variant of its trials. Every row is tested against the full model.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from suite.config import EvaluationConfig
from suite.report.collect import Collected
from suite.report.leaderboard import Leaderboard, compare_rows, efficiency_frame

FULL_MODEL = "full model"


def read_ablations(root: Path) -> dict[str, dict[str, Any]]:
    path = root / "ablations.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def ablation_frame(collected: Collected, rows: dict[str, dict[str, str]]) -> pd.DataFrame:
    """Per-user values of each ablation row, relabelled by the row's label; rows without results are left out."""
    frame = collected.per_user
    parts = []
    for label, where in rows.items():
        part = frame[(frame["row"] == where["row"]) & (frame["variant"] == where["variant"])]
        parts.append(part.assign(row=label))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def build_ablation_table(collected: Collected, ablation: dict[str, Any], evaluation: EvaluationConfig) -> Leaderboard:
    rows = ablation["rows"]
    frame = ablation_frame(collected, rows)
    if frame.empty:
        frame = pd.DataFrame(columns=["dataset", "row", "seed", "user", *evaluation.metrics])
    same = [label for label, where in rows.items() if label != FULL_MODEL and where == rows[FULL_MODEL]]
    cells = compare_rows(frame, evaluation, reference=FULL_MODEL, untested=same)
    present = set(frame["row"])
    users = frame.groupby("dataset")["user"].nunique().to_dict()
    return Leaderboard(
        cells=cells,
        rows=[label for label in rows if label in present],
        datasets=sorted(frame["dataset"].unique()),
        users=users,
        comparisons=int(cells["p_value"].notna().sum()),
        reference=FULL_MODEL,
        efficiency=efficiency_frame(
            collected, {label: (where["row"], where["variant"]) for label, where in rows.items()}
        ),
    )
