"""SIGKILL `suite run` five times at random moments: nothing complete is redone or half-written,
and the final tables equal those of an uninterrupted run."""

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

pytestmark = pytest.mark.slow  # kills and resumes real runs (minutes)

ROOT = Path(__file__).resolve().parents[2]
CONFIG = {
    "seeds": [0, 1, 2],
    "max_failures": 0,
    "datasets": {"ml-100k": {"max_users": 60, "history": 10}},
    "methods": {"pop": {}, "sasrec": {"epochs": 2, "hidden_size": 16, "inner_size": 32}},
}
CELLS = ["dataset", "row", "metric", "mean", "std", "seeds", "place", "p_value", "significant"]


def write_config(folder: Path, experiment: str) -> Path:
    path = folder / f"{experiment}.yaml"
    path.write_text(yaml.safe_dump({**CONFIG, "experiment": experiment, "results_dir": str(folder / "results")}))
    return path


def start(config: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "suite", "run", str(config)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the kill takes Ray's processes too
    )


def complete_trials(root: Path) -> dict[str, tuple[float, str]]:
    """Each complete trial's summary: (modification time, text)."""
    found = {}
    for summary in (root / "trials").glob("*/summary.json"):
        found[summary.parent.name] = (summary.stat().st_mtime_ns, summary.read_text())
    return found


def assert_no_half_written_files(root: Path) -> None:
    for folder in (root / "trials").glob("*"):
        for path in folder.iterdir():
            if path.name.endswith(".tmp"):
                continue  # a temporary file is never read; the next run removes it
            if path.suffix == ".json":
                json.loads(path.read_text())
            elif path.suffix == ".parquet":
                pd.read_parquet(path)
            elif path.suffix == ".csv":
                pd.read_csv(path)
        if (folder / "summary.json").is_file():
            assert {"spec.json", "per_user.parquet", "log.csv"} <= {p.name for p in folder.iterdir()}


def test_killed_runs_resume_to_the_uninterrupted_tables(tmp_path):
    reference = write_config(tmp_path, "reference")
    assert start(reference).wait(timeout=600) == 0

    config = write_config(tmp_path, "killed")
    root = tmp_path / "results" / "killed"
    rng = random.Random(7)
    seen: dict[str, tuple[float, str]] = {}
    for _ in range(5):
        process = start(config)
        time.sleep(rng.uniform(4.0, 20.0))
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        if (root / "trials").is_dir():
            assert_no_half_written_files(root)
            now = complete_trials(root)
            assert {key: now[key] for key in seen} == seen, "a complete trial was written again"
            seen = now
    assert start(config).wait(timeout=600) == 0
    final = complete_trials(root)
    assert {key: final[key] for key in seen} == seen
    assert len(final) == 6
    assert not list(root.rglob("*.tmp"))

    expected = pd.read_csv(tmp_path / "results" / "reference" / "leaderboard.csv")[CELLS]
    resumed = pd.read_csv(root / "leaderboard.csv")[CELLS]
    pd.testing.assert_frame_equal(resumed, expected)
