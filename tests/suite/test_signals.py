"""SIGTERM, what a cluster scheduler sends, takes Ctrl-C's clean path: the trials stop, the
epoch checkpoint stays, one line says so, the exit is non-zero and the manifest is finished.
A trial that had not started yet is interrupted too, not a stack trace."""

import json
import signal
import subprocess
import sys
import time

import pytest

from tests.ray_output import driver_output

pytestmark = pytest.mark.slow  # a run through Ray, stopped during training

CONFIG = """
experiment: stopped
results_dir: {results}
max_failures: 0
seeds: [0, 1]
resources: {{cpu: 2, gpu: 0}}  # one trial at a time on 2 cores: the second is still pending when stopped
datasets: {{ml-100k: {{max_users: 80, history: 20}}}}
methods:
  sasrec: {{epochs: 200, patience: 200, hidden_size: 16, inner_size: 32, training: windows}}
"""


def test_sigterm_ends_the_run_as_ctrl_c_does_and_keeps_the_checkpoint(tmp_path):
    config = tmp_path / "stopped.yaml"
    config.write_text(CONFIG.format(results=tmp_path / "results"))
    process = subprocess.Popen(
        [sys.executable, "-m", "suite", "run", str(config)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    output = []
    deadline = time.time() + 240
    while time.time() < deadline:
        line = process.stdout.readline()
        output.append(line)
        if " epoch 3 " in line:  # training, with checkpoints of earlier epochs written
            break
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=180)
    assert process.returncode != 0
    assert "Fatal Python error" not in err and "Traceback" not in driver_output(err), err[-2000:]
    summary = "".join(output) + out
    assert "interrupted 2 (a rerun resumes them)" in summary or "interrupted:" in err
    root = tmp_path / "results" / "stopped"
    (trial,) = (root / "trials").iterdir()
    assert (trial / "checkpoint.pt").is_file() and not (trial / "summary.json").exists()
    sitting = json.loads((root / "manifest.json").read_text())["sittings"][-1]
    assert sitting["finished"] is not None
