"""The leaderboard: methods x (dataset, metric), with significance against each column's best."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from suite.config import EvaluationConfig
from suite.matrix import DEFAULT_VARIANT
from suite.report.collect import Collected
from suite.stats import adjust, paired_test


@dataclass
class Leaderboard:
    cells: pd.DataFrame  # dataset, row, metric, mean, std, seeds, place, p_value, p_adjusted, significant
    efficiency: pd.DataFrame  # dataset, row, n_parameters, train_seconds, seconds_per_1k_users
    rows: list[str]
    datasets: list[str]
    users: dict[str, int]
    comparisons: int


def _user_matrix(frame: pd.DataFrame, metric: str) -> pd.DataFrame:
    """users x rows, each value averaged over seeds first."""
    return frame.groupby(["user", "row"])[metric].mean().unstack("row")


def build_leaderboard(collected: Collected, evaluation: EvaluationConfig) -> Leaderboard:
    """Mean (and std over seeds) per cell, and paired tests against the best row of each column.

    The p-values of all comparisons in the table are corrected together (`evaluation.correction`).
    """
    frame = collected.per_user[collected.per_user["variant"] == DEFAULT_VARIANT]
    records = []
    for dataset, part in frame.groupby("dataset", sort=True):
        per_seed = part.groupby(["row", "seed"])[list(evaluation.metrics)].mean()
        for metric in evaluation.metrics:
            means = per_seed[metric].groupby("row").mean().sort_values(ascending=False, kind="stable")
            stds = per_seed[metric].groupby("row").std(ddof=1)
            seeds = per_seed[metric].groupby("row").size()
            users = _user_matrix(part, metric)
            best = means.index[0]
            for place, (row, mean) in enumerate(means.items(), start=1):
                p = np.nan
                if row != best:
                    pair = users[[row, best]].dropna()
                    p = paired_test(pair[row].to_numpy(), pair[best].to_numpy(), evaluation.test)
                records.append(
                    {
                        "dataset": dataset,
                        "row": row,
                        "metric": metric,
                        "mean": float(mean),
                        "std": float(stds[row]) if seeds[row] > 1 else np.nan,
                        "seeds": int(seeds[row]),
                        "place": place,
                        "p_value": p,
                    }
                )
    cells = pd.DataFrame(records)
    tested = cells["p_value"].notna() if len(cells) else pd.Series(dtype=bool)
    cells["p_adjusted"] = np.nan
    if tested.any():
        cells.loc[tested, "p_adjusted"] = adjust(cells.loc[tested, "p_value"].to_numpy(), evaluation.correction)
    cells["significant"] = cells["p_adjusted"] < evaluation.alpha

    summaries = collected.summaries
    efficiency = (
        summaries.assign(seconds_per_1k_users=1000 * summaries["inference_seconds"] / summaries["users"])
        .groupby(["dataset", "row"])[["n_parameters", "train_seconds", "seconds_per_1k_users"]]
        .mean()
        .reset_index()
    )
    select = cells[cells["metric"] == evaluation.select_metric].groupby("row")["mean"].mean()
    rows = list(select.sort_values(kind="stable").index)
    return Leaderboard(
        cells=cells,
        efficiency=efficiency,
        rows=rows,
        datasets=sorted(frame["dataset"].unique()),
        users=summaries.groupby("dataset")["users"].max().to_dict(),
        comparisons=int(tested.sum()),
    )
