"""`suite compare BEFORE AFTER`: means side by side and the tests whose outcome changed."""

from pathlib import Path

import pandas as pd
import pytest

from suite.cli import main
from suite.errors import SuiteError
from suite.report.compare import compare_folders

COLUMNS = ["dataset", "row", "metric", "mean", "place", "p_value", "significant"]


def write_board(folder: Path, stem: str, lines: list[tuple]) -> None:
    """`lines`: (row, ndcg@10 mean, place, p-value or None, significant); a recall@10 line each too."""
    folder.mkdir(parents=True, exist_ok=True)
    records = []
    for row, mean, place, p, significant in lines:
        records.append(["d", row, "ndcg@10", mean, place, p, significant])
        records.append(["d", row, "recall@10", mean * 2, place, p, False])
    pd.DataFrame(records, columns=COLUMNS).to_csv(folder / f"{stem}.csv", index=False)


# (row, ndcg@10 mean, place, p-value, significant) of each folder's two leaderboards
BOARDS = {
    ("before", "leaderboard"): [
        ("a", 0.30, 1, None, False),
        ("b", 0.20, 3, 0.01, True),
        ("c", 0.25, 2, 0.30, False),
        ("old", 0.1, 4, 0.01, True),
    ],
    ("before", "leaderboard-vs-c"): [
        ("a", 0.30, 1, 0.20, False),
        ("b", 0.20, 3, 0.04, True),
        ("c", 0.25, 2, None, False),
    ],
    ("after", "leaderboard"): [
        ("b", 0.29, 1, None, False),
        ("a", 0.28, 2, 0.50, False),
        ("c", 0.10, 3, 0.001, True),
        ("new", 0.2, 4, 0.2, False),
    ],
    ("after", "leaderboard-vs-c"): [
        ("b", 0.29, 1, 0.01, True),
        ("a", 0.28, 2, 0.02, True),
        ("c", 0.10, 3, None, False),
    ],
}


@pytest.fixture
def folders(tmp_path):
    for (folder, stem), lines in BOARDS.items():
        write_board(tmp_path / folder, stem, lines)
    return tmp_path / "before", tmp_path / "after"


def conclusions(text: str) -> list[str]:
    return [line[2:] for line in text.split("## Conclusions that changed")[1].splitlines() if line.startswith("- ")]


def test_the_changed_conclusions_are_named_pair_by_pair(folders):
    text = compare_folders(*folders, "ndcg@10")
    assert conclusions(text) == [
        "d, column's best: the best row was a, now b",
        "d, column's best: c against b became significant",
        "d, column's best: new only after",
        "d, column's best: old only before",
        "d, vs c: a against c became significant",
    ]


def test_each_row_shows_its_mean_place_significance_and_change(folders):
    text = compare_folders(*folders, "ndcg@10")
    lines = [[cell.strip() for cell in line.strip("|").split("|")] for line in text.splitlines() if line[:2] == "| "]
    assert [line[:2] for line in lines[1:]] == [
        ["column's best", "b"],
        ["column's best", "a"],
        ["column's best", "c"],
        ["column's best", "new"],
        ["column's best", "old"],
        ["vs c", "b"],
        ["vs c", "a"],
        ["vs c", "c"],
    ]
    assert lines[3] == ["column's best", "c", "0.2500 (2)", "0.1000† (3)", "-0.1500"]
    assert lines[4] == ["column's best", "new", "absent", "0.2000 (4)", ""]
    assert lines[6] == ["vs c", "b", "0.2000† (3)", "0.2900† (1)", "+0.0900"]


def test_an_unchanged_comparison_says_so(folders):
    before, _ = folders
    assert conclusions(compare_folders(before, before, "recall@10")) == ["none: every test kept its outcome"]


def test_a_folder_without_a_leaderboard_is_one_error_line(folders, tmp_path, capsys):
    with pytest.raises(SuiteError, match="empty: no leaderboard.csv"):
        compare_folders(folders[0], tmp_path / "empty", "ndcg@10")
    assert main(["compare", str(folders[0]), str(folders[1]), "--metric", "mrr@10"]) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line == f"error: {folders[0]}: its leaderboards have no 'mrr@10' (choose one they report)"


def test_the_command_prints_the_comparison(folders, capsys):
    assert main(["compare", str(folders[0]), str(folders[1])]) == 0
    assert capsys.readouterr().out.startswith(f"# ndcg@10: {folders[0]} (before) against {folders[1]} (after)")
