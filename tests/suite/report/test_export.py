"""`suite export`: ranked lists as TREC runs that ranx reads and scores as the suite does."""

import dataclasses

import pandas as pd
import pytest

from suite.cli import main
from suite.report.collect import collect
from suite.store import Store
from suite.trial import run_trial
from tests.tiny_trials import tiny_spec


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "exp")
    specs = [tiny_spec("pop"), dataclasses.replace(tiny_spec("madrec", tokenizer={"name": "item-id"}), method="ids")]
    for spec in specs:
        run_trial(spec, store)
    store.write_matrix([spec.key for spec in specs])
    return store


@pytest.mark.slow  # ranx and its dependencies take seconds to import
def test_the_export_loads_in_ranx_and_gives_the_suites_ndcg_per_user(store, capsys, monkeypatch):
    # ranx compiles its metrics with numba on first use (about a minute); 80 users need no compiling
    monkeypatch.setenv("NUMBA_DISABLE_JIT", "1")
    ranx = pytest.importorskip("ranx")
    assert main(["export", str(store.root)]) == 0
    out = store.root / "export"
    qrels = ranx.Qrels.from_file(str(out / "ml-100k.qrels"), kind="trec")
    ours = collect(store, ["ndcg@10", "recall@10"]).per_user.set_index(["row", "user"])
    for row in ("pop", "ids"):
        run = ranx.Run.from_file(str(out / "runs" / "ml-100k" / f"{row}.seed0.default.run"), kind="trec")
        theirs = ranx.evaluate(qrels, run, ["ndcg@10", "hit_rate@10"], return_mean=False, make_comparable=True)
        users = sorted(qrels.keys())
        expected = ours.loc[row].loc[users]
        assert theirs["ndcg@10"] == pytest.approx(expected["ndcg@10"].to_numpy())
        assert theirs["hit_rate@10"] == pytest.approx(expected["recall@10"].to_numpy())


def test_the_export_writes_runs_qrels_and_one_table(store):
    assert main(["export", str(store.root), "--out", str(store.root / "out")]) == 0
    out = store.root / "out"
    lists = pd.read_parquet(out / "lists.parquet")
    assert set(lists["row"]) == {"pop", "ids"} and len(lists) == 80
    lines = (out / "runs" / "ml-100k" / "pop.seed0.default.run").read_text().splitlines()
    first = lines[0].split()
    assert first[1] == "Q0" and first[3] == "1" and first[5] == "pop.seed0.default"
    assert len(lines) == 40 * 100  # pop fills every list
    assert len((out / "ml-100k.qrels").read_text().splitlines()) == 40


def test_a_store_without_lists_is_one_error_line(tmp_path, capsys):
    store = Store(tmp_path)
    per_user = pd.DataFrame({"user": ["u1"], "variant": "default", "recall@10": [1.0]})
    store.write_trial("old", {}, per_user, pd.DataFrame({"epoch": []}), {"dataset": "d", "row": "r", "seed": 0})
    assert main(["export", str(tmp_path)]) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"error: {tmp_path}: no trial with ranked lists to export")


def test_a_long_row_still_makes_a_file_name():
    from suite.report.build import file_stem

    long, other = "m [" + "x=1," * 100 + "]", "m [" + "x=1," * 99 + "y=2]"
    assert len(file_stem(long)) == 100 and file_stem(long) != file_stem(other)
    assert file_stem("sasrec [lr=0.1]") == "sasrec_lr=0.1"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "fewest_runs"),
    [
        ("closer-to-papers", 4),  # TIGER, MADRec and LLaDA-Rec (two dedup rules), SASRec-BCE at least
        ("sasrec-regimens", 16),  # six SASRec regimens, 16 trials
    ],
)
def test_a_committed_ranked_list_store_exports_to_ranx_with_the_suites_ndcg_per_user(
    tmp_path, monkeypatch, name, fewest_runs
):
    """The committed stores that hold ranked lists: ranx scores their export as the suite does."""
    from pathlib import Path

    monkeypatch.setenv("NUMBA_DISABLE_JIT", "1")
    ranx = pytest.importorskip("ranx")
    root = Path(__file__).resolve().parents[3] / "results" / "reference" / name
    store = Store(root)
    assert main(["export", str(root), "--out", str(tmp_path / "export")]) == 0
    qrels = ranx.Qrels.from_file(str(tmp_path / "export" / "ml-100k.qrels"), kind="trec")
    ours = collect(store, ["ndcg@10"]).per_user.set_index(["row", "variant", "seed", "user"])["ndcg@10"].sort_index()
    runs = sorted((tmp_path / "export" / "runs" / "ml-100k").glob("*.run"))
    assert len(runs) >= fewest_runs
    users = sorted(qrels.keys())
    for path in runs:
        row, seed, variant = path.stem.rsplit(".", 2)
        run = ranx.Run.from_file(str(path), kind="trec")
        theirs = ranx.evaluate(qrels, run, "ndcg@10", return_mean=False, make_comparable=True)
        expected = ours.loc[(row, variant, int(seed.removeprefix("seed")))].loc[users].to_numpy()
        assert theirs == pytest.approx(expected), path.name
