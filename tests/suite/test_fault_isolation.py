"""One bad trial does not sink a sweep: retries, a traceback file, a reason, and the rest completes."""

import os
from pathlib import Path

import pytest

from suite.config import parse_config
from suite.matrix import expand
from suite.runner import run_experiment

pytestmark = pytest.mark.slow  # a sweep of failing trials through Ray

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    import ray

    import tests.plugins.failing  # noqa: F401  (registers it here, whenever the registry was loaded)

    # Ray workers inherit the environment: they import the test-only method and find `tests`.
    os.environ["SUITE_PLUGINS"] = "tests.plugins.failing"
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    folder = tmp_path_factory.mktemp("faults")
    attempts = folder / "attempts.txt"
    config = parse_config(
        {
            "experiment": "faults",
            "seeds": [0],
            "max_failures": 2,
            "datasets": {"ml-100k": {"max_users": 30, "history": 10}},
            "methods": {
                "pop": {},
                "broken": {"method": "failing", "mode": "raise", "attempts_file": str(attempts)},
                "diverging": {"method": "failing", "mode": "nan"},
                "hungry": {"method": "failing", "mode": "oom"},
                "crashing": {"method": "failing", "mode": "crash"},
                "flaky": {"method": "failing", "mode": "raise-then-crash", "attempts_file": str(folder / "flaky.txt")},
            },
        },
        "faults.yaml",
    )
    alone = parse_config(
        {
            "experiment": "alone",
            "seeds": [0],
            "max_failures": 0,
            "datasets": {"ml-100k": {"max_users": 30, "history": 10}},
            "methods": {"broken": {"method": "failing", "mode": "raise"}},
        },
        "alone.yaml",
    )
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR")
    try:
        outcome = run_experiment(config, expand(config), folder / "results")
        nothing_complete = run_experiment(alone, expand(alone), folder / "alone")
    finally:
        ray.shutdown()
        os.environ.pop("SUITE_PLUGINS")
    return folder, outcome, attempts, nothing_complete


def test_the_rest_of_the_sweep_completes(swept):
    folder, outcome, _, _ = swept
    assert outcome.trained == 1 and len(outcome.failed) == 5 and outcome.interrupted == [] and outcome.reported
    assert "| pop" in (folder / "results" / "leaderboard.md").read_text()


def test_a_raising_trial_is_retried_max_failures_times(swept):
    _, _, attempts, _ = swept
    assert attempts.read_text().count("attempt") == 3  # the first try and two retries


def test_failures_keep_a_traceback_and_say_why(swept):
    folder, outcome, _, _ = swept
    errors = {key: (folder / "results" / "trials" / key / "error.txt").read_text() for key in outcome.failed}
    reasons = sorted(text.splitlines()[0] for text in errors.values())
    assert reasons[0] == "RuntimeError: injected failure"
    assert reasons[1].startswith("loss is nan at epoch 1")
    assert reasons[2].startswith("out of memory (OutOfMemoryError): lower batch_size")
    assert reasons[3].startswith("the trial's worker process died: ")
    assert reasons[4].startswith("the trial's worker process died: ")  # flaky: not its first attempt's raise
    assert sum("Traceback (most recent call last)" in text for text in errors.values()) == 3


def test_the_report_lists_failed_trials_and_never_shows_them(swept):
    folder, _, _, _ = swept
    markdown = (folder / "results" / "leaderboard.md").read_text()
    assert "Failed trials, not shown:" in markdown and "injected failure" in markdown
    assert "worker process died" in markdown
    assert not any(f"| {row}" in markdown for row in ("broken", "diverging", "hungry", "crashing", "flaky"))


def test_a_sweep_where_every_trial_fails_still_ends_with_its_list(swept):
    folder, _, _, outcome = swept
    assert (outcome.trained, len(outcome.failed), outcome.reported) == (0, 1, False)
    assert (folder / "alone" / "trials" / outcome.failed[0] / "error.txt").is_file()
    assert not (folder / "alone" / "leaderboard.md").exists()  # no table from nothing
