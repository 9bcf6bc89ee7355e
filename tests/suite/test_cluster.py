"""A sweep through an existing Ray cluster: a head and a worker node started on loopback."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from suite.config import parse_config
from suite.errors import SuiteError
from suite.matrix import expand
from suite.runner import check_shared_store, run_experiment
from suite.store import Store

RAY = shutil.which("ray", path=str(Path(sys.executable).parent))
pytestmark = [
    pytest.mark.skipif(RAY is None, reason="the ray command line is not installed"),
    pytest.mark.slow,  # a head and a worker node on loopback
    pytest.mark.serial,  # alone: beside another Ray on this machine, the worker node can miss its deadline
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Token authentication is a deployment choice; these throwaway local nodes opt out of it.
LOCAL = {"RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled"}


def start(args: list[str], temp: Path) -> subprocess.Popen:
    env = {**os.environ, **LOCAL}
    return subprocess.Popen(
        [RAY, "start", "--block", "--num-cpus=1", "--node-ip-address=127.0.0.1", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        cwd=temp,
    )


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    import ray

    patcher = pytest.MonkeyPatch()
    for name, value in LOCAL.items():
        patcher.setenv(name, value)
    temp = tmp_path_factory.mktemp("ray")
    port = free_port()
    address = f"127.0.0.1:{port}"
    head = start(["--head", f"--port={port}", "--include-dashboard=false", f"--temp-dir={temp}"], temp)
    worker = None
    try:
        deadline = time.time() + 120
        while True:  # the head is up once a driver can connect
            try:
                ray.init(address=address, logging_level="ERROR")
                break
            except Exception:
                if time.time() > deadline:
                    raise
                time.sleep(2)
        worker = start([f"--address={address}"], temp)
        while len([n for n in ray.nodes() if n["Alive"]]) < 2:
            assert time.time() < deadline, "the worker node did not join"
            time.sleep(1)
        ray.shutdown()
        yield address
    finally:
        ray.shutdown()
        for process in (worker, head):
            if process is not None:
                os.killpg(process.pid, signal.SIGTERM)  # only this test's nodes: their own process groups
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:  # throwaway nodes: no need to wait for a graceful stop
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=30)
        patcher.undo()


def test_a_sweep_runs_through_the_cluster(cluster, tmp_path):
    config = parse_config(
        {
            "experiment": "cluster",
            "seeds": [0, 1, 2],
            "datasets": {"ml-100k": {"max_users": 40, "history": 10}},
            "methods": {"pop": {}},
        },
        "cluster.yaml",
    )
    outcome = run_experiment(config, expand(config), tmp_path / "results", address=cluster)
    assert (outcome.trained, outcome.failed) == (3, [])
    assert "| pop" in (tmp_path / "results" / "leaderboard.md").read_text()
    assert not list((tmp_path / "results").glob(".store-probe-*"))


def test_a_store_the_workers_cannot_write_fails_clearly(cluster, tmp_path):
    import ray

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the results folder's parent should be")
    ray.init(address=cluster, logging_level="ERROR")
    try:
        with pytest.raises(SuiteError, match="on a cluster it must be on storage that every node shares"):
            check_shared_store(Store(blocker / "results"))
    finally:
        ray.shutdown()
