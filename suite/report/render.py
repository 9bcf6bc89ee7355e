"""Render a table of cells (leaderboard or ablation) as markdown, LaTeX (booktabs) and CSV."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence

import pandas as pd
from tabulate import tabulate

from suite.metrics import is_per_user, metric_label
from suite.report.leaderboard import BOOTSTRAP_RESAMPLES, Leaderboard
from suite.store import LEADERBOARD, Store
from suite.types import EvaluationConfig

EFFICIENCY = (  # column, header ({select}: the selection metric's label), format
    ("valid", "Valid {select}", "{:.4f}"),
    ("context_items", "Context", "{:.0f}"),
    ("tuning_samples", "Tuned", "{:.0f}"),
    ("n_parameters", "Params", "{:,.0f}"),
    ("train_seconds", "Train s", "{:.1f}"),
    ("seconds_per_1k_users", "s/1k users", "{:.3f}"),
)


LATEX_SPECIALS = {
    "\\": "\\textbackslash{}",
    "&": "\\&",
    "%": "\\%",
    "$": "\\$",
    "#": "\\#",
    "_": "\\_",
    "{": "\\{",
    "}": "\\}",
    "~": "\\textasciitilde{}",
    "^": "\\textasciicircum{}",
}


def latex_escape(text: str) -> str:
    """`text` as LaTeX prints it: each of `\\ & % $ # _ { } ~ ^` escaped, in one pass."""
    return re.sub(r"[\\&%$#_{}~^]", lambda match: LATEX_SPECIALS[match.group()], text)


def _latex_marks(text: str) -> str:
    """The table's own marks (escaped text in, LaTeX out): the dagger and the plus-minus sign."""
    return text.replace("†", "$^\\dagger$").replace("±", "$\\pm$")


def _number(cell: pd.Series, relative: bool) -> str:
    text = f"{cell['mean']:.4f}"
    if not math.isnan(cell["std"]):
        text += f" ± {cell['std']:.4f}"
    if relative and not math.isnan(cell["improvement"]) and not math.isnan(cell["p_value"]):
        text += f" ({cell['improvement']:+.1%})"
    if not math.isnan(cell["ci_low"]):
        text += f" [{cell['ci_low']:.4f}, {cell['ci_high']:.4f}]"
    return text


def _grid(board: Leaderboard, evaluation: EvaluationConfig, style: str) -> tuple[list[str], list[list[str]]]:
    marks = {
        "md": ("**{}**", "<u>{}</u>", "{}†"),
        "tex": ("\\textbf{{{}}}", "\\underline{{{}}}", "{}$^\\dagger$"),
    }[style]
    bold, under, dagger = marks
    index = board.cells.set_index(["dataset", "row", "metric"])
    shown = [column for column in EFFICIENCY if column[0] in board.efficiency.columns] if len(board.efficiency) else ()
    efficiency = board.efficiency.set_index(["dataset", "row"]) if shown else None
    header = ["Method"]
    select = metric_label(evaluation.select_metric)
    for dataset in board.datasets:
        header += [f"{dataset} {metric_label(m)}" for m in evaluation.metrics]
        header += [f"{dataset} {label.format(select=select)}" for _, label, _ in shown]
    if style == "tex":
        header = [latex_escape(cell) for cell in header]
    body = []
    for row in board.rows:
        name = board.shown(row)
        line = [latex_escape(name) if style == "tex" else name.replace("|", "\\|")]
        for dataset in board.datasets:
            for metric in evaluation.metrics:
                if (dataset, row, metric) not in index.index:
                    line.append("–")
                    continue
                cell = index.loc[(dataset, row, metric)]
                text = _number(cell, relative=board.reference is not None)
                text = _latex_marks(latex_escape(text)) if style == "tex" else text
                text = bold.format(text) if cell["place"] == 1 else under.format(text) if cell["place"] == 2 else text
                line.append(dagger.format(text) if cell["significant"] else text)
            for column, _, fmt in shown:
                value = efficiency[column].get((dataset, row), float("nan"))
                line.append("–" if value is None or math.isnan(value) else fmt.format(value))
        body.append(line)
    return header, body


def footer(
    board: Leaderboard,
    evaluation: EvaluationConfig,
    failed: list[str],
    reference: str | None = None,
    notes: Sequence[str] = (),
) -> str:
    """The caption: what the numbers, marks and test are. `reference` names what † compares with;
    `notes` end it (what the tables lack)."""
    users = ", ".join(f"{d}: {n:,}" for d, n in board.users.items())
    against = reference or (f"`{board.shown(board.reference)}`" if board.reference else "the column's best")
    text = (
        f"Mean over seeds (± std where there are several). Bold: best; underlined: second. "
        f"† marks a cell that differs from {against} by a paired {evaluation.test} test on per-user "
        f"values (averaged over the seeds both rows have), {evaluation.correction} correction over the "
        f"{board.comparisons} comparisons of this table, alpha = {evaluation.alpha}. Users: {users}."
    )
    if board.reference:
        text += (
            f" In brackets: the relative improvement over `{board.shown(board.reference)}`,"
            " as in the papers' Improv. rows."
        )
    if len(board.efficiency):
        text += (
            f" Valid {metric_label(evaluation.select_metric)}: the validation score that selection reads"
            " (the row's decoding at the chosen epoch, mean over seeds); every choice of a setting is made on it,"
            " never on the test columns."
            " Efficiency: parameters, training seconds and decoding seconds per 1,000 users, means over seeds;"
            " the decoding variants of one trained model share its parameters and training time."
        )
    if board.protocol:
        text += " " + protocol_sentence(board.protocol, board.shown)
    seeds = board.cells.groupby("row")["seeds"].max()
    if seeds.nunique() > 1:
        fewer = ", ".join(f"{board.shown(row)} ({n})" for row, n in seeds.items() if n < seeds.max())
        text += f" Rows with fewer seeds: {fewer}; their tests pair only the seeds both rows have."
    if evaluation.ci is not None:
        text += (
            f" In square brackets: the {evaluation.ci:.0%} percentile bootstrap interval of the mean over users"
            f" ({BOOTSTRAP_RESAMPLES:,} resamples)."
        )
    set_level = [metric_label(m) for m in evaluation.metrics if not is_per_user(m)]
    if set_level:
        text += f" {', '.join(set_level)}: one value per trial for the whole list set (mean over seeds), not tested."
    lacking = {row: names for row, names in board.missing.items() if row in board.rows}
    if lacking:
        shown = "; ".join(
            f"{board.shown(row)}: {', '.join(map(metric_label, names))}" for row, names in lacking.items()
        )
        text += f" Stored without ranked lists, so without these metrics (–): {shown}."
    if failed:
        text += f" Failed trials, not shown: {', '.join(failed)}."
    return "".join([text, *(f" {note}" for note in notes)])


def protocol_sentence(protocol: dict, shown: Callable[[str], str] = str) -> str:
    """The terms every row of the leaderboard shares: split, context, tuning, selection, seeds;
    `shown` gives a row's name as the tables show it."""
    history = ", ".join(f"{name}: {n}" for name, n in protocol.get("history", {}).items())
    tuning = protocol.get("tuning") or {}
    if tuning:
        tuned = (
            f"Tuned (column Tuned: configurations tried): {tuning.get('search')} search over each method's space, "
            f"{tuning.get('samples')} configurations per method, at most {tuning.get('max_epochs')} epochs each, "
            f"scheduler {tuning.get('scheduler')}, on validation {tuning.get('select_metric')} only "
            f"({tuning.get('dataset')}, seed {tuning.get('seed')}); the chosen configuration trained on every seed."
        )
    else:
        tuned = "No tuning: every row runs at its configured parameters (Tuned 0)."
    return (
        f"Protocol: {protocol.get('split')} split (each user's last item is the test target, the one before it"
        f" the validation target); context (column Context): the latest items of history a row reads, the"
        f" dataset's history ({history}) unless the row sets its own. {tuned} Each trial is early-stopped on"
        f" validation {protocol.get('select_metric')}{stopping_phrase(protocol.get('stopping') or {}, shown)}, and the"
        f" test split is scored once, at the best epoch. Seeds: {', '.join(map(str, protocol.get('seeds', [])))}."
    )


def stopping_phrase(stopping: dict[str, dict[str, int]], shown: Callable[[str], str] = str) -> str:
    """`stopping` ({row: {epochs, patience}}) in words: one clause when every trained row shares
    its terms, else one per group of rows that do."""
    groups: dict[str, list[str]] = {}
    for row, terms in stopping.items():
        clause = f"at most {terms['epochs']} epochs, stopped after {terms['patience']} without a gain"
        groups.setdefault(clause, []).append(shown(row))
    if len(groups) == 1:
        return f" ({next(iter(groups))}, for every trained row)"
    named = [f"{', '.join(rows)}: {clause}" for clause, rows in groups.items()]
    return f" ({'; '.join(named)})" if named else ""


def write_leaderboard(
    store: Store, board: Leaderboard, evaluation: EvaluationConfig, failed: list[str], notes: Sequence[str] = ()
) -> str:
    """Write `leaderboard.{md,tex,csv}`; return the markdown."""
    return write_table(store, LEADERBOARD, board, evaluation, footer(board, evaluation, failed, notes=notes))


def write_table(
    store: Store, stem: str, board: Leaderboard, evaluation: EvaluationConfig, note: str, section: str | None = None
) -> str:
    """Write `<stem>.{md,tex,csv}` (under `section`, if given); return the markdown."""
    header, body = _grid(board, evaluation, "md")
    markdown = tabulate(body, headers=header, tablefmt="pipe", disable_numparse=True) + f"\n\n{note}\n"
    header, body = _grid(board, evaluation, "tex")
    columns = "l" + "r" * (len(header) - 1)
    caption = _latex_marks(latex_escape(note.replace("`", "")))
    lines = [
        "\\begin{table}[t]",
        "\\centering",
        f"\\caption{{{caption}}}",
        f"\\begin{{tabular}}{{{columns}}}",
        "\\toprule",
        " & ".join(header) + " \\\\",
        "\\midrule",
        *(" & ".join(line) + " \\\\" for line in body),
        "\\bottomrule",
        "\\end{tabular}",
        "\\end{table}",
    ]
    cells = board.cells
    if len(board.efficiency):
        cells = cells.merge(board.efficiency, on=["dataset", "row"], how="left")
    store.write_table(stem, markdown, cells, latex="\n".join(lines) + "\n", section=section)
    return markdown
