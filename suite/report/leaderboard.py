"""Tables of rows x (dataset, metric) cells, with paired significance against a reference row.

The leaderboard compares every method with each column's best (or, with `baseline:`, with
that method, adding the relative improvement as the papers' "Improv." rows do); ablation
tables compare every row with the full model. Per-user values are averaged over the seeds
both rows of a test have, and the p-values of a whole table are corrected together.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from suite.errors import SuiteError
from suite.metrics import parse_metric
from suite.report.collect import Collected
from suite.stats import adjust, paired_test
from suite.types import DEFAULT_VARIANT, EvaluationConfig

CELL_COLUMNS = [
    "dataset",
    "row",
    "metric",
    "mean",
    "std",
    "seeds",
    "place",
    "p_value",
    "improvement",
    "ci_low",
    "ci_high",
]
BOOTSTRAP_RESAMPLES = 1000


@dataclass
class Leaderboard:
    cells: pd.DataFrame  # dataset, row, metric, mean, std, seeds, place, p_value, improvement, p_adjusted, significant
    rows: list[str]
    datasets: list[str]
    users: dict[str, int]
    comparisons: int
    reference: str | None = None  # the row every other is tested against; None: each column's best
    efficiency: pd.DataFrame = field(default_factory=pd.DataFrame)  # dataset, row, params, train s, s/1k users
    pending: list[str] = field(default_factory=list)  # declared rows with no results yet
    missing: dict[str, list[str]] = field(default_factory=dict)  # row -> metrics its stored files cannot give
    labels: dict[str, str] = field(default_factory=dict)  # row -> how tables and figures show it
    protocol: dict[str, Any] = field(default_factory=dict)  # the terms every row shares (the footer states them)

    def shown(self, row: str) -> str:
        """How tables and figures show `row`: its `label:` where it has one."""
        return self.labels.get(row, row)


def paired_users(part: pd.DataFrame, metric: str, row: str, against: str) -> pd.DataFrame:
    """Per-user `metric` of `row` and `against` (columns), each averaged over the seeds both
    rows have: a row with fewer seeds is tested against the same seeds of the other."""
    seeds = part.groupby("row")["seed"].unique()
    common = set(seeds[row]) & set(seeds[against])
    shared = part[part["row"].isin([row, against]) & part["seed"].isin(common)]
    users = shared.groupby(["user", "row"])[metric].mean().unstack("row")
    return users.reindex(columns=[row, against]).dropna()


def bootstrap_interval(part: pd.DataFrame, metric: str, row: str, level: float) -> tuple[float, float]:
    """The percentile bootstrap interval at `level` of `row`'s mean `metric` over users (each user's
    value averaged over the row's seeds): `BOOTSTRAP_RESAMPLES` resamples of the users, seed 0."""
    values = part[part["row"] == row].groupby("user")[metric].mean().to_numpy()
    values = values[~np.isnan(values)]
    if not len(values):
        return np.nan, np.nan
    rng = np.random.default_rng(0)
    means = values[rng.integers(0, len(values), size=(BOOTSTRAP_RESAMPLES, len(values)))].mean(axis=1)
    low, high = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
    return float(low), float(high)


def compare_rows(frame: pd.DataFrame, evaluation: EvaluationConfig, reference: str | None = None) -> pd.DataFrame:
    """One record per (dataset, row, metric): mean and std over seeds, place (1 = best; rows with
    equal means share it), p-value against the reference.

    `frame` holds per-user values (dataset, row, seed, user, <metrics>). The reference is the
    named row, or each column's best when None. Each test pairs the seeds both rows have (`paired_users`).
    `improvement` is the relative gain over the reference's mean. The p-values are corrected
    together with `evaluation.correction`.
    """
    records = []
    for dataset, part in frame.groupby("dataset", sort=True):
        per_seed = part.groupby(["row", "seed"])[list(evaluation.metrics)].mean()
        for metric in evaluation.metrics:
            kind = parse_metric(metric)[0]
            values = per_seed[metric].dropna()  # rows whose stored files cannot give the metric have none
            if values.empty:
                continue
            means = values.groupby("row").mean().sort_values(ascending=not kind.higher_is_better, kind="stable")
            stds = values.groupby("row").std(ddof=1)
            seeds = values.groupby("row").size()
            against = reference if reference is not None else means.index[0]
            # equal means share a place
            places = means.rank(method="dense", ascending=not kind.higher_is_better).astype(int)
            for row, mean in means.items():
                p = np.nan
                if row != against and against in means.index and kind.per_user:
                    pair = paired_users(part, metric, row, against)
                    if len(pair):
                        p = paired_test(pair[row].to_numpy(), pair[against].to_numpy(), evaluation.test)
                base = means.get(against, np.nan)
                low, high = (np.nan, np.nan)
                if evaluation.ci is not None and kind.per_user:
                    low, high = bootstrap_interval(part, metric, row, evaluation.ci)
                records.append(
                    {
                        "dataset": dataset,
                        "row": row,
                        "metric": metric,
                        "mean": float(mean),
                        "std": float(stds[row]) if seeds[row] > 1 else np.nan,
                        "seeds": int(seeds[row]),
                        "place": int(places[row]),
                        "p_value": p,
                        "improvement": (mean - base) / base if base else np.nan,
                        "ci_low": low,
                        "ci_high": high,
                    }
                )
    cells = pd.DataFrame(records, columns=CELL_COLUMNS)
    cells["p_adjusted"] = np.nan
    tested = cells["p_value"].notna()
    if tested.any():
        cells.loc[tested, "p_adjusted"] = adjust(cells.loc[tested, "p_value"].to_numpy(), evaluation.correction)
    cells["significant"] = cells["p_adjusted"] < evaluation.alpha
    return cells


def efficiency_frame(collected: Collected, where: Mapping[str, tuple[str, str]]) -> pd.DataFrame:
    """The validation `select_metric` (what selection reads), parameters, training seconds and
    decoding seconds per 1,000 users of each labelled (row, variant), means over seeds: dataset,
    row (the label), and those four columns. Variants of one trial share its parameters and
    training time."""
    decoding = collected.decoding.assign(
        seconds_per_1k_users=1000 * collected.decoding["inference_seconds"] / collected.decoding["users"]
    )
    trials = collected.summaries[["key", "n_parameters", "train_seconds"]]
    parts = [
        decoding[(decoding["row"] == row) & (decoding["variant"] == variant)].assign(label=label)
        for label, (row, variant) in where.items()
    ]
    columns = ["valid", "n_parameters", "train_seconds", "seconds_per_1k_users"]
    if not parts:
        return pd.DataFrame(columns=["dataset", "row", *columns])
    merged = pd.concat(parts, ignore_index=True).merge(trials, on="key")
    return merged.groupby(["dataset", "label"])[columns].mean().reset_index().rename(columns={"label": "row"})


def build_leaderboard(
    collected: Collected,
    evaluation: EvaluationConfig,
    baseline: str | None = None,
    labels: Mapping[str, str] | None = None,
    terms: Mapping[str, Any] | None = None,
) -> Leaderboard:
    """Methods (default variant) against each column's best, or against `baseline`; `labels`:
    how to show rows (their `label:`); `terms`: what `suite run` recorded of each row's context
    and tuning, and of the protocol (`Store.read_terms`)."""
    frame = collected.per_user[collected.per_user["variant"] == DEFAULT_VARIANT]
    if baseline is not None and baseline not in set(frame["row"]):
        known = ", ".join(sorted(frame["row"].unique()))
        raise SuiteError(f"evaluation.baseline: {baseline!r} has no results (rows: {known})")
    cells = compare_rows(frame, evaluation, reference=baseline)
    summaries = collected.summaries
    efficiency = with_terms(
        efficiency_frame(collected, {row: (row, DEFAULT_VARIANT) for row in summaries["row"].unique()}),
        (terms or {}).get("rows", {}),
    )
    select = cells[cells["metric"] == evaluation.select_metric].groupby("row")["mean"].mean()
    return Leaderboard(
        cells=cells,
        rows=list(select.sort_values(kind="stable").index) + sorted(set(frame["row"]) - set(select.index)),
        datasets=sorted(frame["dataset"].unique()),
        users=summaries.groupby("dataset")["users"].max().to_dict(),
        comparisons=int(cells["p_value"].notna().sum()),
        reference=baseline,
        efficiency=efficiency,
        missing=collected.missing,
        labels=dict(labels or {}),
        protocol=dict((terms or {}).get("protocol", {})),
    )


def with_terms(efficiency: pd.DataFrame, rows: Mapping[str, Any]) -> pd.DataFrame:
    """`efficiency` with each row's context items on its dataset and its tuning samples, where
    the store recorded them (NaN for a row that reads no history, or in a store from before)."""
    if not rows or efficiency.empty:
        return efficiency

    def term(row: pd.Series, name: str) -> float:
        value = rows.get(row["row"], {}).get(name)
        if isinstance(value, Mapping):
            value = value.get(row["dataset"])
        return np.nan if value is None else float(value)

    return efficiency.assign(
        context_items=efficiency.apply(term, axis=1, args=("context_items",)),
        tuning_samples=efficiency.apply(term, axis=1, args=("tuning_samples",)),
    )
