"""Two results folders side by side: which means moved and which conclusions changed.

`suite compare BEFORE AFTER` reads the leaderboards each folder's report wrote
(`leaderboard.csv`, where every row is tested against its column's best, and each
`leaderboard-vs-<baseline>.csv`) and gives, for one metric:
- every row's mean, place and significance in both, and the change of its mean;
- the conclusions that changed: a test that became or stopped being significant, a column
  whose best row changed, and rows found in only one folder.

A test is a pair (row, reference): the column's best row in `leaderboard`, the baseline in
`leaderboard-vs-<baseline>`. Nothing is recomputed; it reads what `suite report` wrote, so
both folders should be reported with the same evaluation settings.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from tabulate import tabulate

from suite.errors import SuiteError
from suite.store import LEADERBOARD

BEST = "column's best"


def _reference(table: pd.DataFrame, name: str) -> pd.Series:
    """Each line's reference row: the baseline a `-vs-` table names, else the untested best row."""
    if name.startswith(f"{LEADERBOARD}-vs-"):
        return pd.Series(name.removeprefix(f"{LEADERBOARD}-vs-"), index=table.index)
    untested = table[table["p_value"].isna()].drop_duplicates(["dataset", "metric"], keep="first")
    best = untested.set_index(["dataset", "metric"])["row"]
    keys = zip(table["dataset"], table["metric"], strict=True)
    return pd.Series([best.get(key, "") for key in keys], index=table.index)


def significance(root: Path, metric: str) -> pd.DataFrame:
    """One line per (table, dataset, row): mean, place, reference and whether the row differs
    significantly from it, for `metric`, from every leaderboard csv under `root`."""
    paths = sorted(root.glob(f"{LEADERBOARD}*.csv"))
    if not paths:
        raise SuiteError(f"{root}: no {LEADERBOARD}.csv (run `suite report {root}` first)")
    parts = []
    for path in paths:
        table = pd.read_csv(path, dtype={"row": str, "dataset": str})
        missing = {"dataset", "row", "metric", "mean", "place", "p_value", "significant"} - set(table.columns)
        if missing:
            raise SuiteError(f"{path}: lacks the column(s) {', '.join(sorted(missing))}")
        table = table.assign(reference=_reference(table, path.stem))
        table = table[table["metric"] == metric]
        kind = BEST if path.stem == LEADERBOARD else f"vs {table['reference'].iloc[0] if len(table) else '?'}"
        parts.append(table.assign(table=kind))
    frame = pd.concat(parts, ignore_index=True)
    if frame.empty:
        raise SuiteError(f"{root}: its leaderboards have no {metric!r} (choose one they report)")
    frame["significant"] = frame["significant"].astype(str).str.lower() == "true"
    return frame[["table", "dataset", "row", "mean", "place", "reference", "significant"]]


def _cell(line: pd.Series, side: str) -> str:
    if pd.isna(line[f"mean_{side}"]):
        return "absent"
    mark = "†" if bool(line[f"significant_{side}"]) else ""
    return f"{line[f'mean_{side}']:.4f}{mark} ({int(line[f'place_{side}'])})"


def changes(before: pd.DataFrame, after: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The merged lines (every row of every table, both sides) and the changed conclusions, in words."""
    merged = before.merge(after, on=["table", "dataset", "row"], how="outer", suffixes=("_before", "_after"))
    # the column's best table first; in each table by the place after, then before (absent last)
    merged = merged.assign(_vs=merged["table"] != BEST).sort_values(
        ["_vs", "table", "dataset", "place_after", "place_before"], na_position="last", kind="stable"
    )
    merged = merged.drop(columns="_vs").reset_index(drop=True)
    said = []
    for (table, dataset), part in merged.groupby(["table", "dataset"], sort=False):
        where = f"{dataset}, {table}"
        if table == BEST:
            old, new = part["reference_before"].dropna(), part["reference_after"].dropna()
            if len(old) and len(new) and old.iloc[0] != new.iloc[0]:
                said.append(f"{where}: the best row was {old.iloc[0]}, now {new.iloc[0]}")
        for _, line in part.iterrows():
            if pd.isna(line["mean_before"]) or pd.isna(line["mean_after"]):
                side = "before" if pd.isna(line["mean_after"]) else "after"
                said.append(f"{where}: {line['row']} only {side}")
                continue
            if line["row"] in (line["reference_before"], line["reference_after"]):
                continue
            was, now = bool(line["significant_before"]), bool(line["significant_after"])
            if was != now:
                verb = "became significant" if now else "is no longer significant"
                reference = line["reference_after"] if now else line["reference_before"]
                said.append(f"{where}: {line['row']} against {reference} {verb}")
    return merged, said


def compare_folders(before: Path, after: Path, metric: str) -> str:
    """The markdown `suite compare` prints."""
    merged, said = changes(significance(before, metric), significance(after, metric))
    rows = [
        [
            line["table"],
            line["row"],
            _cell(line, "before"),
            _cell(line, "after"),
            ""
            if pd.isna(line["mean_before"]) or pd.isna(line["mean_after"])
            else f"{line['mean_after'] - line['mean_before']:+.4f}",
        ]
        for _, line in merged.iterrows()
    ]
    headers = ["table", "row", f"{metric} before (place)", f"{metric} after (place)", "change"]
    lines = [
        f"# {metric}: {before} (before) against {after} (after)",
        "",
        "† differs significantly from the table's reference (the column's best row, or the baseline).",
        "",
        tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True),
        "",
        "## Conclusions that changed",
        "",
        *([f"- {sentence}" for sentence in said] or ["- none: every test kept its outcome"]),
    ]
    return "\n".join(lines) + "\n"
