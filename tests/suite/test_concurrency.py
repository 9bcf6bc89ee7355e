"""Two runs on one store: a live writer's temporary files are never removed, and a second
`suite run` of an experiment that another one is running refuses with one line."""

import os
import subprocess
import sys
import time

from suite.store import ORPHAN_AGE, Store, temporary_prefix

HOLD = """
import sys, time
from pathlib import Path
from suite.store import Store, temporary_prefix
store = Store(Path(sys.argv[1]))
with store.run_lock():
    (store.root / (temporary_prefix(store.root / "summary.json") + "abc.tmp")).write_text("half")
    print("held", flush=True)
    time.sleep(120)
"""


def ended_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(done.stdout)


def test_only_the_temporaries_of_ended_writers_are_removed(tmp_path):
    store = Store(tmp_path)
    target = tmp_path / "trials" / "k" / "summary.json"
    target.parent.mkdir(parents=True)
    live = target.parent / (temporary_prefix(target) + "a1.tmp")
    ended = target.parent / (temporary_prefix(target, ended_pid()) + "b2.tmp")
    remote = target.parent / ".summary.json.other-host~pid1.c3.tmp"
    old_remote = target.parent / ".summary.json.other-host~pid2.d4.tmp"
    legacy_recent, legacy_old = target.parent / ".summary.json.e5.tmp", target.parent / ".summary.json.f6.tmp"
    for path in (live, ended, remote, old_remote, legacy_recent, legacy_old):
        path.write_text("partial")
    long_ago = time.time() - ORPHAN_AGE - 60
    for path in (old_remote, legacy_old):
        os.utime(path, (long_ago, long_ago))
    assert store.remove_temporaries() == 3
    assert {p.name for p in target.parent.iterdir()} == {live.name, remote.name, legacy_recent.name}


def test_a_second_run_of_a_running_experiment_refuses_in_one_line(tmp_path):
    root = tmp_path / "results" / "busy"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(root)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        config = tmp_path / "busy.yaml"
        config.write_text(
            f"experiment: busy\nresults_dir: {tmp_path / 'results'}\n"
            "datasets: {ml-100k: {max_users: 20}}\nmethods: {pop: {}}\n"
        )
        second = subprocess.run(
            [sys.executable, "-m", "suite", "run", str(config)], capture_output=True, text=True, timeout=300
        )
        assert second.returncode == 1
        (line,) = second.stderr.strip().splitlines()
        assert line.startswith(f"error: {root}: another `suite run` is working on this experiment (pid {holder.pid} ")
        assert "wait for it to end, or run under another --experiment" in line
        temporaries = list(root.glob(".*.tmp"))
        assert len(temporaries) == 1 and temporaries[0].read_text() == "half"  # the live writer's file stays
    finally:
        holder.kill()
        holder.wait()
    with Store(root).run_lock():  # free again once the first run has ended
        pass
