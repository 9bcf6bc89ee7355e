"""`suite tune`: one budget for every method, selection on validation only, tuned parameters taken in."""

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import ray
import yaml

from suite.cli import main
from suite.config import load_config
from suite.data.prepare import prepare
from suite.errors import ConfigError
from suite.store import Store, write_json
from suite.tuning import TUNED_FILE, TUNING, tuning_rows, write_tuning_results
from suite.types import DatasetConfig
from tests.ray_output import driver_output

SAMPLES = 3
COMPARED = ["sample", "learning_rate", "valid", "best_epoch", "epochs", "stopped", "chosen"]


def chain(folder: Path, randomize_test: bool) -> Path:
    """A successor-chain log (the next item is f(last item)); with `randomize_test`, every user's
    last item (the test target) is replaced by a random item of the catalog."""
    rng = np.random.default_rng(0)
    successor = rng.permutation(30)
    lines = ["user_id:token\titem_id:token\ttimestamp:float"]
    replace = np.random.default_rng(1)
    for user in range(120):
        item = rng.integers(30)
        for step in range(8):
            shown = replace.integers(30) if randomize_test and step == 7 else item
            lines.append(f"u{user}\ti{shown}\t{step}")
            item = successor[item]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "chain.inter").write_text("\n".join(lines) + "\n")
    return folder


def config_text(data: Path, results: Path, tuned: Path | None = None) -> str:
    text = f"""
experiment: tuned
results_dir: {results}
device: cpu
seeds: [0, 1]
datasets:
  chain: {{loader: atomic, path: {data}, history: 4}}
tuning: {{samples: {SAMPLES}, max_epochs: 3, grace_period: 1, reduction_factor: 2, concurrent: 1}}
methods:
  pop: {{}}
  sasrec:
    n_layers: 1
    hidden_size: 16
    inner_size: 32
    search:
      learning_rate: {{loguniform: [0.0005, 0.02]}}
  tiger:
    tokenizer: {{name: random, codebook_size: 8}}
    encoder_layers: 1
    decoder_layers: 1
    d_model: 16
    heads: 2
    d_kv: 8
    d_ff: 32
    prefixes_per_user: 2
    search:
      learning_rate: {{loguniform: [0.0005, 0.02]}}
      tokenizer.codebook_size: {{choice: [8, 16]}}
"""
    return text + (f"tuned: {tuned}\n" if tuned else "")


def tune(folder: Path, randomize_test: bool) -> Path:
    data = chain(folder / "data", randomize_test)
    path = folder / "benchmark.yaml"
    path.write_text(config_text(data, folder / "results"))
    assert main(["tune", str(path)]) == 0
    assert not ray.is_initialized()  # the tune disconnected the Ray it started: a later ray.init starts clean
    return folder / "results" / "tuned"


@pytest.fixture(scope="module")
def tuned_runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("tuning")
    return tune(base / "true", False), tune(base / "random", True)


@pytest.mark.slow
def test_every_method_is_tuned_with_the_declared_budget(tuned_runs):
    root, _ = tuned_runs
    for method in ("sasrec", "tiger"):
        table = pd.read_csv(root / TUNING / f"{method}.csv")
        assert len(table) == SAMPLES
        assert table["epochs"].max() <= 3
        assert table["chosen"].sum() == 1
        chosen = table[table["chosen"]].iloc[0]
        assert chosen["valid"] == table["valid"].max()
        assert (root / TUNING / f"{method}.md").read_text().count("\n|") == SAMPLES + 2  # header, rule, rows
    assert not (root / TUNING / "pop.csv").exists()  # nothing to tune
    tuned = yaml.safe_load((root / TUNED_FILE).read_text())
    assert tuned["tuning"]["samples"] == SAMPLES
    assert set(tuned["methods"]) == {"sasrec", "tiger"}
    assert tuned["methods"]["tiger"]["tokenizer"]["codebook_size"] in (8, 16)


@pytest.mark.slow
def test_selection_never_reads_the_test_split(tuned_runs):
    """With every test target replaced by a random item, the same configurations are sampled,
    scored, stopped and chosen, at the same epochs."""
    true_root, random_root = tuned_runs
    targets = [
        prepare(DatasetConfig(name="chain", loader="atomic", path=str(root.parent.parent / "data"))).test_targets()
        for root in tuned_runs
    ]
    assert (targets[0] != targets[1]).mean() > 0.8  # the test split really differs
    for method in ("sasrec", "tiger"):
        columns = [c for c in COMPARED if c != "learning_rate"] + ["learning_rate"]
        if method == "tiger":
            columns.append("tokenizer.codebook_size")
        left = pd.read_csv(true_root / TUNING / f"{method}.csv")[columns]
        right = pd.read_csv(random_root / TUNING / f"{method}.csv")[columns]
        pd.testing.assert_frame_equal(left, right)
    assert (true_root / TUNED_FILE).read_text().split("\n", 2)[2] == (random_root / TUNED_FILE).read_text().split(
        "\n", 2
    )[2]


@pytest.mark.slow
def test_a_second_tune_trains_nothing_and_a_benchmark_takes_the_tuned_parameters(tuned_runs, tmp_path, capsys):
    root, _ = tuned_runs
    before = {p: p.stat().st_mtime_ns for p in (root / TUNING / "trials").rglob("*")}
    config = root.parent.parent / "benchmark.yaml"
    assert main(["tune", str(config)]) == 0
    assert {p: p.stat().st_mtime_ns for p in (root / TUNING / "trials").rglob("*")} == before

    with_tuned = tmp_path / "with-tuned.yaml"
    data = root.parent.parent / "data"
    with_tuned.write_text(config_text(data, tmp_path / "results", tuned=root / TUNED_FILE))
    loaded = load_config(with_tuned)
    tuned = yaml.safe_load((root / TUNED_FILE).read_text())["methods"]
    assert loaded.methods["sasrec"].params["learning_rate"] == tuned["sasrec"]["learning_rate"]
    assert loaded.methods["tiger"].params["tokenizer"]["codebook_size"] == tuned["tiger"]["tokenizer"]["codebook_size"]
    assert loaded.methods["tiger"].params["tokenizer"]["name"] == "random"  # the entry's own keys stay
    assert loaded.methods["sasrec"].tuned_samples == SAMPLES
    assert loaded.methods["pop"].tuned_samples == 0


METHOD = "methods:\n  sasrec:\n    search:\n"


@pytest.mark.parametrize(
    ("search", "message"),
    [
        ("      learning_rate: {gauss: [0, 1]}", "unknown key (allowed: choice, uniform, loguniform, randint)"),
        ("      learning_rate: {uniform: [0.1, 0.01]}", "low must be below high, got [0.1, 0.01]"),
        ("      learning_rate: {loguniform: [0, 0.01]}", "a log-uniform domain needs a positive low, got 0"),
        ("      learning_rate: {uniform: 0.1}", "expected [low, high], got float 0.1"),
        (
            "      n_layers: {uniform: [1.5, 3]}",
            "methods.sasrec.search.n_layers.uniform[0]: expected int, got float 1.5",
        ),
        ("      n_layers: {choice: [1, 1]}", "duplicate values in [1, 1]"),
        ("      widths: {choice: [1]}", "unknown parameter of method 'sasrec'"),
        ("      n_layers: {choice: [1], randint: [1, 3]}", "expected one of choice, uniform, loguniform, randint"),
    ],
)
def test_search_space_errors_name_the_key(tmp_path, search, message):
    path = tmp_path / "b.yaml"
    path.write_text("datasets:\n  ml-100k: {}\n" + METHOD + search + "\n")
    with pytest.raises(ConfigError, match=None) as caught:
        load_config(path)
    assert message in str(caught.value)
    assert str(caught.value).startswith("b.yaml: methods.sasrec")


def test_an_inference_parameter_or_a_grid_beside_a_search_is_refused(tmp_path):
    path = tmp_path / "b.yaml"
    path.write_text("datasets:\n  ml-100k: {}\nmethods:\n  tiger:\n    search:\n      beam: {choice: [5, 10]}\n")
    with pytest.raises(ConfigError, match="only changes inference"):
        load_config(path)
    path.write_text(
        "datasets:\n  ml-100k: {}\nmethods:\n  tiger:\n    grid: {d_model: [16, 32]}\n"
        "    search:\n      learning_rate: {uniform: [0.001, 0.01]}\n"
    )
    with pytest.raises(ConfigError, match="grid: and search: both choose parameters"):
        load_config(path)


def test_a_missing_tuned_file_or_a_parameter_set_twice_is_one_line(tmp_path):
    path = tmp_path / "b.yaml"
    path.write_text(f"datasets:\n  ml-100k: {{}}\nmethods:\n  sasrec: {{}}\ntuned: {tmp_path}/none.yaml\n")
    with pytest.raises(ConfigError, match=r"none.yaml: no such file; `suite tune` \(make tune\) writes it"):
        load_config(path)
    assert load_config(path, take_tuned=False).tuned is not None  # `suite tune` does not need it
    tuned = tmp_path / "tuned.yaml"
    tuned.write_text("tuning: {samples: 4}\nmethods:\n  sasrec: {learning_rate: 0.002}\n")
    path.write_text(f"datasets:\n  ml-100k: {{}}\nmethods:\n  sasrec: {{learning_rate: 0.01}}\ntuned: {tuned}\n")
    with pytest.raises(ConfigError, match="methods.sasrec.learning_rate: is also chosen by the tuned: file"):
        load_config(path)


@pytest.mark.slow
def test_a_stopped_search_resumes_and_keeps_what_finished(tmp_path):
    """SIGTERM once the first configuration has finished; the results folder is then moved (as a
    committed copy is restored on another machine), and the same command on the moved folder
    completes the budget without training the finished configuration again."""
    data = chain(tmp_path / "data", False)
    config = tmp_path / "stopped.yaml"
    config.write_text(config_text(data, tmp_path / "results").split("  tiger:")[0])  # pop and sasrec only
    process = subprocess.Popen(
        [sys.executable, "-m", "suite", "tune", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    trials = tmp_path / "results" / "tuned" / TUNING / "trials"
    deadline = time.time() + 240
    while time.time() < deadline and not list(trials.glob("*/record.json")):
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=180)
    assert process.returncode != 0, "the search ended before it was stopped"
    assert "Traceback" not in driver_output(err), err[-2000:]
    moved = tmp_path / "moved"
    shutil.move(tmp_path / "results", moved)
    config.write_text(config_text(data, moved).split("  tiger:")[0])
    trials = moved / "tuned" / TUNING / "trials"
    finished = {path: path.stat().st_mtime_ns for path in trials.glob("*/record.json")}
    assert 1 <= len(finished) < SAMPLES

    assert main(["tune", str(config)]) == 0
    table = pd.read_csv(moved / "tuned" / TUNING / "sasrec.csv")
    assert len(table) == SAMPLES
    assert {path: path.stat().st_mtime_ns for path in finished} == finished


def test_a_tuned_tokenizer_key_completes_the_methods_default_tokenizer(tmp_path):
    tuned = tmp_path / "tuned.yaml"
    tuned.write_text("tuning: {samples: 2}\nmethods:\n  tiger: {tokenizer: {codebook_size: 64}}\n")
    path = tmp_path / "b.yaml"
    path.write_text(f"datasets:\n  ml-100k: {{}}\nmethods:\n  tiger: {{}}\ntuned: {tuned}\n")
    tokenizer = load_config(path).methods["tiger"].params["tokenizer"]
    assert (tokenizer["name"], tokenizer["codebook_size"]) == ("rq-vae", 64)


def test_a_search_short_of_its_budget_stays_out_of_tuned_yaml(tmp_path):
    """A stopped sitting leaves sasrec with every configuration and tiger with one: tuned.yaml
    holds sasrec's best and nothing for tiger, whose table lists what it has."""
    path = tmp_path / "b.yaml"
    path.write_text(config_text(tmp_path / "data", tmp_path / "results"))
    config = load_config(path, take_tuned=False)
    store = Store(tmp_path / "results" / "tuned" / TUNING)
    rows = {row.name: row for row in tuning_rows(config)}
    scores = {"sasrec": [0.2, 0.5, 0.3], "tiger": [0.9]}
    for name, valid in scores.items():
        for index, score in enumerate(valid):
            key = f"{name}{index}"
            assignment = {
                "learning_rate": 0.001 * (index + 1),
                **({"tokenizer.codebook_size": 8} if name == "tiger" else {}),
            }
            sample = {"key": key, "assignment": assignment, "started": float(index)}
            write_json(store.root / "samples" / rows[name].search_key(config.tuning) / f"t{index}.json", sample)
            record = {"key": key, "valid": score, "best_epoch": 1, "epochs": 1, "stopped": "epoch cap", "seconds": 1.0}
            write_json(store.trial_dir(key) / "record.json", record)
    chosen = write_tuning_results(config, list(rows.values()), store, tmp_path / "results" / "tuned")
    assert chosen == {"sasrec": {"learning_rate": 0.002}}
    tuned = yaml.safe_load((tmp_path / "results" / "tuned" / TUNED_FILE).read_text())
    assert tuned["methods"] == {"sasrec": {"learning_rate": 0.002}}
    assert len(pd.read_csv(store.root / "tiger.csv")) == 1


def test_asha_keeps_its_rung_records_across_a_restore(tmp_path):
    """Ray Tune rebuilds a restored search's scheduler from the pickle of its start; the rung
    records come back from the store, so a resumed configuration is not judged again at a rung
    it passed, and a newcomer is judged against every configuration before it."""
    import pickle
    from types import SimpleNamespace

    from ray.tune.schedulers import TrialScheduler

    from suite.tuning import RecordingASHA
    from suite.types import TuningConfig

    tuning = TuningConfig(max_epochs=50, grace_period=5, reduction_factor=3)
    metric = "valid_ndcg@10"
    start = RecordingASHA(tuning, metric)
    start.set_search_properties(metric, "max")
    pickled = pickle.dumps(start)  # what a restore rebuilds it from
    trials = {name: SimpleNamespace(trial_id=name) for name in ("a", "b", "c", "d")}

    def result(epoch: int, score: float) -> dict:
        return {"store": str(tmp_path), "search": "s", "epoch": epoch, metric: score}

    for name in "abc":
        start.on_trial_add(None, trials[name])
    for name, score in [("a", 0.02), ("b", 0.05), ("c", 0.06)]:  # each reaches the first rung and goes on
        assert start.on_trial_result(None, trials[name], result(5, score)) == TrialScheduler.CONTINUE

    restored = pickle.loads(pickled)
    del restored.rungs_read  # as a search started by the version before the records were kept
    for name in "bd":
        restored.on_trial_add(None, trials[name])
    # d reaches the rung below the cutoff of a, b and c's scores there: it stops (with no
    # records, as the first to report since the restore, it would have gone on)
    assert restored.on_trial_result(None, trials["d"], result(5, 0.03)) == TrialScheduler.STOP
    # b resumes past the rung it passed, now scoring below d's there: it is not judged again
    assert restored.on_trial_result(None, trials["b"], result(7, 0.01)) == TrialScheduler.CONTINUE
    assert restored.rung_records()[0]["5"] == {"a": 0.02, "b": 0.05, "c": 0.06, "d": 0.03}
