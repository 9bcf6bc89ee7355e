"""Report-time choices on the committed reference store: other metrics, cut-offs, test,
correction, alpha, baseline, a bootstrap interval, and labels, with nothing retrained."""

import shutil
from pathlib import Path

import pytest
import yaml

from suite.cli import main
from suite.config import parse_config
from suite.matrix import expand
from suite.runner import run_experiment

REFERENCE = Path(__file__).resolve().parents[3] / "results" / "reference" / "ml100k-store"
BENCHMARK = REFERENCE / "benchmark.yaml"  # the file the store ran: the earlier, hand-set default


@pytest.fixture
def reference(tmp_path):
    root = tmp_path / "ml100k"
    shutil.copytree(REFERENCE, root)
    return root


def trial_files(root: Path) -> dict[str, int]:
    return {str(path): path.stat().st_mtime_ns for path in (root / "trials").rglob("*") if path.is_file()}


def test_report_options_rebuild_the_reference_tables_without_training(reference, capsys):
    before, evaluation = trial_files(reference), (reference / "evaluation.json").read_text()
    options = ["--metrics", "recall@20,ndcg@10,mrr@10", "--test", "t-test", "--correction", "bonferroni"]
    options += ["--alpha", "0.01", "--baseline", "tiger", "--ci", "0.9"]
    assert main(["report", str(reference), *options]) == 0
    assert trial_files(reference) == before and (reference / "evaluation.json").read_text() == evaluation
    board = (reference / "leaderboard-vs-tiger.md").read_text()
    assert "ml-100k R@20" in board and "ml-100k MRR@10" in board and "ml-100k N@10" in board
    assert "paired t-test" in board and "bonferroni correction" in board and "alpha = 0.01" in board
    assert "the 90% percentile bootstrap interval of the mean over users" in board
    # these trials were stored before ranked lists: only the metrics they hold are shown
    assert "Stored without ranked lists, so without these metrics (–): " in board and "MRR@10" in board
    sasrec = next(line for line in board.splitlines() if line.startswith("| sasrec "))
    assert "0.0632 ± 0.0040" in sasrec and "[0." in sasrec


def test_a_bad_report_option_is_one_error_line(reference, capsys):
    assert main(["report", str(reference), "--test", "z-test"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line == "error: suite report: evaluation.test: unknown test 'z-test' (known: permutation, t-test, wilcoxon)"
    assert main(["report", str(reference), "--metrics", "recall@200"]) == 2
    assert "evaluation.list_length: must be at least the largest K (200), got 100" in capsys.readouterr().err


@pytest.mark.slow  # prepares ML-100K and rebuilds the reference tables (about 20 s)
def test_labels_and_evaluation_changed_in_the_yaml_retrain_nothing(reference):
    """The rows of the store's own `benchmark.yaml` whose trials it holds (pop, SASRec, TIGER;
    the diffusion rows were re-keyed since, see tests/test_configs.py), relabelled and scored
    otherwise: every trial is found, none is trained."""
    raw = yaml.safe_load(BENCHMARK.read_text())
    raw["methods"] = {name: raw["methods"][name] for name in ("pop", "sasrec", "tiger")}
    raw.pop("ablations", None)
    raw["methods"]["sasrec"]["label"] = "SASRec"
    raw["methods"]["tiger"]["label"] = "TIGER"
    raw["evaluation"].update(ks=[5, 10], metrics=["recall@5", "ndcg@10"], test="t-test", correction="none")
    config = parse_config(raw, "relabelled.yaml")
    specs = expand(config)
    missing = [spec.row for spec in specs if not (reference / "trials" / spec.key).is_dir()]
    assert not missing, f"not in the reference store, so this test would train them: {missing}"
    before = trial_files(reference)
    outcome = run_experiment(config, specs, reference)
    assert (outcome.trained, outcome.skipped, outcome.failed) == (0, len(specs), [])
    assert trial_files(reference) == before
    board = (reference / "leaderboard.md").read_text()
    assert "| SASRec " in board and "| TIGER " in board and "| sasrec " not in board
    assert "paired t-test test" in board and "none correction" in board
    # R@5, N@10, the validation score, the terms (context, tuning samples) and the three efficiency columns
    assert board.splitlines()[0].count("ml-100k") == 8 and "ml-100k Valid N@10" in board
    assert "| TIGER    | " in board and "| 20                | 0 " in board  # TIGER's own context, untuned
