"""Rebuild every table of an experiment from its store, without training."""

from __future__ import annotations

from pathlib import Path

from suite.errors import SuiteError
from suite.report.collect import collect, read_evaluation
from suite.report.leaderboard import build_leaderboard
from suite.report.render import write_leaderboard


def build_report(root: Path) -> str:
    """Write the leaderboard files under `root`; return the markdown leaderboard."""
    root = Path(root)
    if not (root / "trials").is_dir():
        raise SuiteError(f"{root}: not a results folder (no trials/ inside)")
    collected = collect(root)
    if collected.per_user.empty:
        raise SuiteError(f"{root}: no completed trials yet")
    evaluation = read_evaluation(root)
    board = build_leaderboard(collected, evaluation)
    return write_leaderboard(root, board, evaluation, collected.failed)
