"""A damaged store heals or explains: every way of damaging every file kind of a small finished
store ends in correct tables (the damaged trial named in the caption) or in one line naming the
file, `run` recomputes only a damaged trial, and no complete trial is ever lost."""

import dataclasses
import shutil

import pandas as pd
import pytest

from suite.cli import main
from suite.data.prepare import prepare
from suite.report.build import build_report
from suite.store import Store
from suite.trial import run_trial
from suite.types import EvaluationConfig
from tests.tiny_trials import TINY, tiny_spec

DAMAGES = ("truncate", "garbage", "delete", "empty", "wrong", "hollow")
FAST = {("per_user.parquet", "truncate"), ("summary.json", "hollow"), ("evaluation.json", "garbage")}


def cases(names):
    """Every (file, damage); all but a few common ones are marked slow (the fast run keeps those)."""
    return [
        pytest.param(name, how, marks=() if (name, how) in FAST else pytest.mark.slow)
        for name in names
        for how in DAMAGES
    ]


TRIAL_FILES = ("summary.json", "per_user.parquet", "spec.json", "log.csv")
EXPERIMENT_FILES = (
    "evaluation.json",
    "matrix.json",
    "ablations.json",
    "labels.json",
    "manifest.json",
    "popularity/ml-100k.parquet",
)


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """pop on seeds 0 and 1, and MADRec on item IDs (row `ids`) on seed 0, with a report."""
    store = Store(tmp_path_factory.mktemp("finished") / "exp")
    specs = [tiny_spec("pop", seed=0), tiny_spec("pop", seed=1)]
    specs.append(dataclasses.replace(tiny_spec("madrec", tokenizer={"name": "item-id"}), method="ids"))
    for spec in specs:
        run_trial(spec, store)
    data = prepare(TINY)
    store.write_popularity(TINY.name, data.item_counts(), data.n_users)
    store.write_matrix([spec.key for spec in specs])
    store.write_evaluation(EvaluationConfig(metrics=("recall@10", "ndcg@10", "coverage@10")))
    store.write_ablations({})
    store.write_labels({"ids": "Item IDs"})
    store.record_sitting({"id": "first"})
    build_report(store.root)
    return store, [spec.key for spec in specs]


def damage(path, how: str) -> None:
    data = path.read_bytes()
    if how == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif how == "garbage":
        path.write_bytes(bytes(range(256)) * 4)
    elif how == "delete":
        path.unlink()
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "hollow":  # well-formed and of the right shape, with nothing inside
        if path.suffix == ".parquet":
            pd.read_parquet(path).iloc[:0].to_parquet(path)
        elif path.suffix == ".json":
            path.write_text("{}")
        else:
            path.write_text(data.decode().splitlines()[0] + "\n")
    elif path.suffix == ".json":  # wrong: well-formed, but not what the file holds
        path.write_text("[]" if path.name == "summary.json" else '{"x": 1}')
    elif path.suffix == ".parquet":
        pd.DataFrame({"x": [1, 2]}).to_parquet(path)
    else:
        path.write_text("x\n1\n")


def trial_files(store: Store, keys) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for key in keys for p in store.trial_dir(key).iterdir()}


@pytest.mark.parametrize(("name", "how"), cases(TRIAL_FILES))
def test_a_damaged_trial_file_leaves_the_others_in_the_tables(finished, tmp_path, capsys, name, how):
    source, keys = finished
    store = Store(tmp_path / "exp")
    shutil.copytree(source.root, store.root)
    victim, others = keys[2], keys[:2]
    damage(store.trial_dir(victim) / name, how)
    kept = trial_files(store, others)
    assert main(["report", str(store.root)]) == 0
    board = store.read_markdown("leaderboard")
    assert "| pop " in board
    usable = name in ("spec.json", "log.csv")  # the report reads neither
    assert ("| Item IDs " in board) == usable
    assert store.is_complete(victim) == usable  # `run` recomputes it when it is not
    if name == "summary.json" and how == "delete":  # the trial never finished writing
        assert f"Trials of this configuration without results yet: 1 ({victim})." in board
    elif not usable:
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and f"trial {victim}: " in err[0] and name in err[0]
        assert f"Unusable trials, not shown: trial {victim}: " in board and name in board
    assert trial_files(store, others) == kept  # no complete trial is lost


@pytest.mark.parametrize(("name", "how"), cases(EXPERIMENT_FILES))
def test_a_damaged_experiment_file_is_one_line_or_is_not_needed(finished, tmp_path, capsys, name, how):
    source, keys = finished
    store = Store(tmp_path / "exp")
    shutil.copytree(source.root, store.root)
    damage(store.root / name, how)
    kept = trial_files(store, keys)
    code = main(["report", str(store.root)])
    err = capsys.readouterr().err.strip().splitlines()
    if code == 0:
        board = store.read_markdown("leaderboard")
        assert "| pop " in board  # rebuilt from the rest (a missing file means its default)
    else:
        assert len(err) == 1 and err[0].startswith("error: ") and name in err[0]
    if how == "delete" or name == "manifest.json":
        assert code == 0  # a missing file has a default; the report reads no manifest
    assert trial_files(store, keys) == kept


def test_a_damaged_manifest_is_kept_aside_when_the_next_sitting_is_recorded(tmp_path):
    store = Store(tmp_path)
    (tmp_path / "manifest.json").write_text("{not json")
    store.record_sitting({"id": "next"})
    (record,) = store.read_sittings()
    assert record["id"] == "next" and "manifest.json: not valid JSON" in record["earlier_manifest"]
    assert (tmp_path / "manifest.json.damaged").read_text() == "{not json"


def test_a_trial_of_the_matrix_without_results_is_named_in_the_caption(finished, tmp_path):
    source, keys = finished
    store = Store(tmp_path / "exp")
    shutil.copytree(source.root, store.root)
    store.write_matrix([*keys, "0123456789abcdef"])
    shutil.rmtree(store.trial_dir(keys[2]))
    board = build_report(store.root)
    assert "Trials of this configuration without results yet: 2 (" in board
    assert keys[2] in board and "0123456789abcdef" in board
