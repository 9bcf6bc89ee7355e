"""Ablation tables, figures and the baseline leaderboard, from a synthetic store."""

import numpy as np
import pandas as pd
import pytest

from suite.report.ablations import merged_with_reference
from suite.report.build import build_report
from suite.report.collect import collect
from suite.report.leaderboard import build_leaderboard
from suite.store import Store, write_json
from suite.types import EvaluationConfig

METRICS = ("recall@1", "recall@5", "recall@10", "ndcg@5", "ndcg@10")
USERS = 40


def hits(share: float, seed: int) -> np.ndarray:
    count = int(round(share * USERS))
    return np.roll(np.arange(USERS) < count, seed).astype(float)


def add_trial(store: Store, row: str, seed: int, variants: dict[str, float]) -> None:
    frames = [
        pd.DataFrame({"user": [f"u{i}" for i in range(USERS)], "variant": name, **{m: hits(v, 0) for m in METRICS}})
        for name, v in variants.items()
    ]
    summary = {
        "dataset": "toy",
        "row": row,
        "seed": seed,
        "users": USERS,
        "n_parameters": 10,
        "train_seconds": 1.0,
        "variants": {
            name: {"inference_seconds": 0.1 if name == "default" else 0.04, "valid_metrics": {"ndcg@10": v / 2 + seed}}
            for name, v in variants.items()
        },
    }
    key = f"{row}-{seed}".replace(" ", "_").replace("/", "_")
    store.write_trial(key, {}, pd.concat(frames), pd.DataFrame({"epoch": []}), summary)


ABLATIONS = {
    "steps": {
        "method": "diff",
        "axis": "steps",
        "rows": {
            "full model": {"row": "diff", "variant": "default"},
            "steps=1": {"row": "diff", "variant": "steps=1"},
            "steps=2": {"row": "diff", "variant": "default"},
        },
    },
    "loss": {
        "method": "diff",
        "axis": None,
        "rows": {
            "full model": {"row": "diff", "variant": "default"},
            "w/o L_his": {"row": "diff [w/o L_his]", "variant": "default"},
        },
    },
}


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path)
    for seed in (0, 1):
        add_trial(store, "diff", seed, {"default": 0.9, "steps=1": 0.2})
        add_trial(store, "diff [w/o L_his]", seed, {"default": 0.85})
        add_trial(store, "pop", seed, {"default": 0.1})
    write_json(tmp_path / "evaluation.json", {"metrics": list(METRICS), "ks": [1, 5, 10], "baseline": "pop"})
    write_json(tmp_path / "ablations.json", ABLATIONS)
    return store


def test_ablation_tables_test_rows_against_the_full_model(store):
    build_report(store.root)
    steps = pd.read_csv(store.root / "ablations" / "steps.csv").set_index(["row", "metric"])
    assert steps.loc[("steps=1", "ndcg@10"), "significant"]
    assert steps.loc[("steps=1", "ndcg@10"), "improvement"] == pytest.approx((0.2 - 0.9) / 0.9)
    assert np.isnan(steps.loc[("steps=2 (full model)", "ndcg@10"), "p_value"])  # the reference itself
    loss = pd.read_csv(store.root / "ablations" / "loss.csv").set_index(["row", "metric"])
    assert not loss.loc[("w/o L_his", "ndcg@10"), "significant"]  # 2 of 40 users differ
    markdown = (store.root / "ablations" / "loss.md").read_text()
    assert markdown.index("full model") < markdown.index("w/o L_his")
    assert "differs from the full model by a paired wilcoxon test" in markdown


def test_ablation_rows_show_the_decoding_cost_of_their_own_variant(store):
    build_report(store.root)
    steps = pd.read_csv(store.root / "ablations" / "steps.csv").groupby("row").first()
    assert steps.loc["steps=2 (full model)", "seconds_per_1k_users"] == pytest.approx(1000 * 0.1 / USERS)
    assert steps.loc["steps=1", "seconds_per_1k_users"] == pytest.approx(1000 * 0.04 / USERS)
    assert (steps["train_seconds"] == 1.0).all()  # one trained model under every variant
    assert "s/1k users" in (store.root / "ablations" / "steps.md").read_text()


def test_every_row_shows_the_validation_score_of_its_own_variant_that_selection_reads(store):
    markdown = build_report(store.root)
    steps = pd.read_csv(store.root / "ablations" / "steps.csv").groupby("row").first()
    assert steps.loc["steps=1", "valid"] == pytest.approx(0.2 / 2 + 0.5)  # mean over seeds 0 and 1
    assert steps.loc["steps=2 (full model)", "valid"] == pytest.approx(0.9 / 2 + 0.5)
    board = pd.read_csv(store.root / "leaderboard.csv").groupby("row").first()
    assert board.loc["pop", "valid"] == pytest.approx(0.1 / 2 + 0.5)
    assert "toy Valid N@10" in markdown and "Valid N@10: the validation score that selection reads" in markdown


def test_ablation_trials_stay_out_of_the_leaderboard(store):
    markdown = build_report(store.root)
    assert "w/o L_his" not in markdown
    assert "| diff" in markdown and "| pop" in markdown


def test_figures_are_png_pdf_and_svg_and_rebuild_to_the_same_bytes(store):
    build_report(store.root)
    figures = store.root / "figures"
    for name in ("recall-at-k", "ablation-steps", "ablation-loss"):
        assert (figures / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (figures / f"{name}.pdf").read_bytes()[:5] == b"%PDF-"
        assert b"<svg" in (figures / f"{name}.svg").read_bytes()[:500]
    first = {path.name: path.read_bytes() for path in figures.iterdir()}
    build_report(store.root)
    assert {path.name: path.read_bytes() for path in figures.iterdir()} == first


def test_baseline_mode_gives_relative_improvement(store):
    build_report(store.root)
    markdown = (store.root / "leaderboard-vs-pop.md").read_text()
    assert "**0.9000 ± 0.0000 (+800.0%)**†" in markdown
    assert "relative improvement over `pop`" in markdown


def test_unknown_baseline_is_a_clear_error(store):
    with pytest.raises(Exception, match="evaluation.baseline: 'tiger' has no results"):
        build_leaderboard(collect(store), EvaluationConfig(), baseline="tiger")


def test_a_baseline_without_results_yet_is_skipped(store):
    write_json(
        store.root / "evaluation.json", {"metrics": list(METRICS), "ks": [1, 5, 10], "baseline": ["pop", "tiger"]}
    )
    build_report(store.root)
    assert (store.root / "leaderboard-vs-pop.md").is_file()
    assert not (store.root / "leaderboard-vs-tiger.md").exists()


def test_an_ablation_without_results_yet_is_skipped(store):
    write_json(
        store.root / "ablations.json",
        {
            **ABLATIONS,
            "later": {
                **ABLATIONS["loss"],
                "rows": {
                    "full model": {"row": "not run yet", "variant": "default"},
                    "w/o L_next": {"row": "not run yet either", "variant": "default"},
                },
            },
        },
    )
    build_report(store.root)
    assert (store.root / "ablations" / "loss.md").is_file()
    assert not (store.root / "ablations" / "later.md").exists()


def test_an_ablation_table_names_its_rows_without_results_yet(store):
    rows = {**ABLATIONS["loss"]["rows"], "w/o L_next": {"row": "diff [w/o L_next]", "variant": "default"}}
    write_json(store.root / "ablations.json", {**ABLATIONS, "loss": {**ABLATIONS["loss"], "rows": rows}})
    build_report(store.root)
    assert "No results yet: w/o L_next." in (store.root / "ablations" / "loss.md").read_text()
    assert "No results yet" not in (store.root / "ablations" / "steps.md").read_text()


def test_a_methods_own_variants_get_a_table_against_its_default(store):
    for seed in (0, 1):
        add_trial(store, "block [d=2]", seed, {"default": 0.3, "condition=1": 0.6, "condition=2": 0.95})
    build_report(store.root)
    table = pd.read_csv(store.root / "variants" / "block_d=2.csv").set_index(["row", "metric"])
    assert table.loc[("condition=2", "ndcg@10"), "improvement"] == pytest.approx((0.95 - 0.3) / 0.3)
    assert table.loc[("condition=2", "ndcg@10"), "significant"]
    markdown = (store.root / "variants" / "block_d=2.md").read_text()
    assert markdown.index("| default") < markdown.index("| condition=1") < markdown.index("| condition=2")
    assert "differs from `block [d=2]` under its default decoding" in markdown
    # diff's only other variant, steps=1, is in the steps ablation: no table of its own
    assert sorted(p.name for p in (store.root / "variants").iterdir()) == [
        "block_d=2.csv",
        "block_d=2.md",
        "block_d=2.tex",
    ]


def test_the_full_model_is_the_reference_wherever_its_row_sorts(store):
    rows = {"beam=1": {"row": "diff", "variant": "steps=1"}, **ABLATIONS["steps"]["rows"]}
    write_json(store.root / "ablations.json", {"beam": {**ABLATIONS["steps"], "axis": "beam", "rows": rows}})
    build_report(store.root)
    beam = pd.read_csv(store.root / "ablations" / "beam.csv").set_index(["row", "metric"])
    assert beam.loc[("beam=1", "ndcg@10"), "improvement"] == pytest.approx((0.2 - 0.9) / 0.9)
    assert np.isnan(beam.loc[("steps=2 (full model)", "ndcg@10"), "p_value"])


def test_a_row_that_is_the_full_model_is_shown_once_under_both_names(store):
    build_report(store.root)
    steps = pd.read_csv(store.root / "ablations" / "steps.csv")
    assert sorted(steps["row"].unique()) == ["steps=1", "steps=2 (full model)"]
    markdown = (store.root / "ablations" / "steps.md").read_text()
    first_cells = [line.split("|")[1].strip() for line in markdown.splitlines() if line.startswith("| ")]
    assert first_cells == ["Method", "steps=1", "steps=2 (full model)"]
    assert "relative improvement over `steps=2 (full model)`" in markdown
    assert "comparisons of this table" in markdown and "over the 5 comparisons" in markdown  # steps=1 only


def test_several_rows_that_are_the_full_model_merge_into_one():
    rows = {
        "full model": {"row": "diff", "variant": "default"},
        "a=1": {"row": "diff", "variant": "a=1"},
        "b=0": {"row": "diff", "variant": "default"},
        "c=0": {"row": "diff", "variant": "default"},
    }
    merged, reference = merged_with_reference(rows, "full model")
    assert reference == "b=0 = c=0 (full model)"
    assert list(merged) == ["a=1", reference]
    assert merged_with_reference({"full model": rows["full model"], "a=1": rows["a=1"]}, "full model")[1] == (
        "full model"
    )
