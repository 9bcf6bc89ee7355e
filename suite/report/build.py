"""Rebuild every table and figure of an experiment from its store, without training.

- `leaderboard.{md,tex,csv}`: the methods, against each column's best;
- `leaderboard-vs-<baseline>.{md,tex,csv}` for each method named in `evaluation.baseline` that has results;
- `ablations/<name>.{md,tex,csv}`: one table per `ablations:` entry, against the full model;
- `variants/<row>.{md,tex,csv}`: a method's own `variants:` (e.g. GREED's `condition`) that no
  ablation shows, against its default decoding;
- `grids/<method>.{md,tex,csv}` for each method with a `grid:`: every combination against the one
  its mean validation score chose, which alone appears in the leaderboard;
- `figures/ablation-<name>.png` and `figures/recall-at-k.png`.
Ablation rows that trained trials of their own stay out of the leaderboard.
"""

from __future__ import annotations

import hashlib
import re
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from suite.errors import SuiteError
from suite.report.ablations import build_ablation_table, variant_tables
from suite.report.collect import Collected, collect
from suite.report.figures import ablation_figure, method_colours, recall_at_k_figure
from suite.report.leaderboard import build_leaderboard
from suite.report.render import footer, write_leaderboard, write_table
from suite.store import ABLATION_TABLES, GRID_TABLES, LEADERBOARD, VARIANT_TABLES, Store
from suite.types import DEFAULT_VARIANT, EvaluationConfig


def build_report(root: Path, evaluation: EvaluationConfig | None = None) -> str:
    """Write the report files under `root`; return the markdown leaderboard. `evaluation`
    replaces the one the last run recorded (report-time choices of metrics, test, correction...)."""
    store = Store(Path(root))
    if not store.has_trials():
        raise SuiteError(f"{root}: not a results folder (no trials/ inside)")
    evaluation = evaluation or store.read_evaluation()
    collected = collect(store, evaluation.metrics, evaluation.select_metric)
    if collected.per_user.empty:
        raise SuiteError(f"{root}: no completed trials yet")
    ablations = store.read_ablations()
    methods = {ablation["method"] for ablation in ablations.values()}
    ablation_only = {where["row"] for ablation in ablations.values() for where in ablation["rows"].values()} - methods
    methods_data = only_rows(collected, set(collected.summaries["row"]) - ablation_only)
    labels, terms = store.read_labels(), store.read_terms()
    grids = grid_choices(methods_data.summaries)
    for method, choice in grids.items():  # every combination, against the one validation chose
        shown = {
            row: f"{labels.get(row, row)} ({'chosen' if row == choice.chosen else 'not selected'})"
            for row in choice.rows
        }
        table = build_leaderboard(
            only_rows(methods_data, set(choice.rows)), evaluation, baseline=choice.chosen, labels=shown, terms=terms
        )
        note = footer(table, evaluation, [], notes=[choice.note(evaluation.select_metric)])
        write_table(store, file_stem(method), table, evaluation, note, section=GRID_TABLES)
    unselected = {row for choice in grids.values() for row in choice.rows if row != choice.chosen}
    leaderboard_data = only_rows(methods_data, set(methods_data.summaries["row"]) - unselected)
    for choice in grids.values():
        labels[choice.chosen] = f"{labels.get(choice.chosen, choice.chosen)} (best of {len(choice.rows)} on validation)"
    board = build_leaderboard(leaderboard_data, evaluation, labels=labels, terms=terms)
    for line in collected.unusable:
        print(f"warning: {line}; the tables leave it out", file=sys.stderr)
    gaps = gap_notes(collected)
    markdown = write_leaderboard(store, board, evaluation, collected.failed, gaps)
    ran = set(leaderboard_data.per_user["row"])
    for baseline in evaluation.baselines:
        if baseline not in ran:
            continue  # not run yet (a `--row` run of other rows): its table waits, as ablations do
        against = build_leaderboard(leaderboard_data, evaluation, baseline=baseline, labels=labels, terms=terms)
        note = footer(against, evaluation, collected.failed, notes=gaps)
        write_table(store, f"{LEADERBOARD}-vs-{baseline}", against, evaluation, note)

    colours = method_colours(board.rows)
    recall_at_k_figure(store, board, colours, evaluation.ks)
    for name, ablation in ablations.items():
        table = build_ablation_table(collected, ablation, evaluation)
        if table.cells.empty:
            continue
        note = footer(
            table, evaluation, [], reference="the full model", notes=[*gaps, *unchanged_note(ablation, collected)]
        )
        if table.pending:
            note += f" No results yet: {', '.join(table.pending)}."
        write_table(store, name, table, evaluation, note, section=ABLATION_TABLES)
        method = ablation["method"]
        ablation_figure(store, name, table, ablation["axis"], method, colours.get(method, "grey"), evaluation)
    for row, variants in variant_tables(leaderboard_data, ablations).items():
        table = build_ablation_table(leaderboard_data, variants, evaluation, reference=DEFAULT_VARIANT)
        note = footer(
            table,
            evaluation,
            [],
            reference=f"`{row}` under its default decoding",
            notes=unchanged_note(variants, collected),
        )
        write_table(store, file_stem(row), table, evaluation, note, section=VARIANT_TABLES)
    return markdown


def only_rows(collected: Collected, rows: set[str]) -> Collected:
    """`collected` with only the trials of `rows`."""
    return replace(
        collected,
        per_user=collected.per_user[collected.per_user["row"].isin(rows)],
        summaries=collected.summaries[collected.summaries["row"].isin(rows)],
        decoding=collected.decoding[collected.decoding["row"].isin(rows)],
    )


@dataclass(frozen=True)
class GridChoice:
    """A `grid:` method's rows and the one its validation score chose (highest mean over seeds)."""

    rows: tuple[str, ...]
    chosen: str
    valid: dict[str, float]

    def note(self, metric: str) -> str:
        scores = "; ".join(f"{row}: {self.valid[row]:.4f}" for row in self.rows)
        return (
            f"Grid of {len(self.rows)} combinations; the leaderboard shows only `{self.chosen}`, the highest mean"
            f" best-epoch validation {metric} over seeds ({scores}). The others are shown here, not selected."
        )


def grid_choices(summaries: pd.DataFrame) -> dict[str, GridChoice]:
    """For each method with several rows (a `grid:`), the row with the highest mean validation
    score of its default decoding (ties: the first in order); only validation is read."""
    choices = {}
    grid_rows = summaries[summaries["row"] != summaries["method"]]  # a grid row is `method [assignment]`
    for method, part in grid_rows.groupby("method", sort=True):
        rows = tuple(dict.fromkeys(part["row"]))
        if len(rows) < 2:
            continue
        valid = part.groupby("row", sort=False)["valid"].mean()
        ranked = valid.reindex(rows).fillna(-np.inf)
        choices[method] = GridChoice(rows, str(ranked.idxmax()), {row: float(valid.get(row, np.nan)) for row in rows})
    return choices


def gap_notes(collected: Collected) -> list[str]:
    """What the tables lack and why: trials whose files cannot be read, and trials of the
    matrix with no results yet. No row leaves a table without a word."""
    notes = []
    if collected.unusable:
        notes.append(f"Unusable trials, not shown: {'; '.join(collected.unusable)}.")
    if collected.unfinished:
        shown = ", ".join(collected.unfinished[:10]) + (" ..." if len(collected.unfinished) > 10 else "")
        notes.append(f"Trials of this configuration without results yet: {len(collected.unfinished)} ({shown}).")
    return notes


def unchanged_note(table: dict, collected: Collected) -> list[str]:
    """A note naming the rows of an ablation or variant table (`{"rows": {label: {row, variant}}}`)
    whose decoding gave the default's exact lists for every user of every seed: expected of a
    setting equal to the default (`steps=m`), a sign of SIDs whose codes carry nothing where
    every order does it (`bench/code_use.py` counts them)."""
    same = [
        label
        for label, where in table["rows"].items()
        if where["variant"] != DEFAULT_VARIANT and (where["row"], where["variant"]) in collected.unchanged
    ]
    if not same:
        return []
    return [f"Same ranked lists as the default decoding for every user of every seed: {', '.join(same)}."]


STEM_LENGTH = 100


def file_stem(row: str) -> str:
    """A leaderboard row as a file name: `greed` stays, `x [lr=0.1]` becomes `x_lr=0.1`; a
    longer one than `STEM_LENGTH` is cut and ends in a hash of the whole, so it stays unique."""
    stem = re.sub(r"[^A-Za-z0-9.=-]+", "_", row).strip("_")
    if len(stem) <= STEM_LENGTH:
        return stem
    return f"{stem[: STEM_LENGTH - 9]}-{hashlib.sha256(row.encode()).hexdigest()[:8]}"
