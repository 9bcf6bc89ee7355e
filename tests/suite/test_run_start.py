"""Every way a run cannot start is one line, in bounded time: a malformed or unreachable
--address, resources no node has, a results folder that cannot be made; long names still fit."""

import socket
import time

import pytest

from suite.errors import SuiteError
from suite.runner import ADDRESS_TIMEOUT, _trial_label, check_address, check_resources
from suite.store import Store
from tests.tiny_trials import tiny_spec


@pytest.mark.parametrize("address", ["nohost", "10.0.0.1:99999", ":6379", "host:port", "ray://"])
def test_a_malformed_address_is_one_line(address):
    with pytest.raises(SuiteError, match=r"expected HOST:PORT \(e.g. 10.0.0.5:6379\), ray://HOST:PORT or auto"):
        check_address(address)


def test_an_address_where_nothing_listens_is_one_line_within_the_timeout():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # free once closed: nothing listens there
    clock = time.perf_counter()
    with pytest.raises(SuiteError, match=rf"no Ray cluster answers at 127.0.0.1:{port} within {ADDRESS_TIMEOUT} s"):
        check_address(f"127.0.0.1:{port}")
    assert time.perf_counter() - clock < ADDRESS_TIMEOUT + 1
    check_address("auto")  # left to Ray


def test_resources_no_node_has_are_one_line(monkeypatch):
    import dataclasses

    import ray

    from suite.types import Resources

    monkeypatch.setattr(ray, "nodes", lambda: [{"Alive": True, "Resources": {"CPU": 2.0}}])
    check_resources([tiny_spec("pop")])
    greedy = dataclasses.replace(tiny_spec("pop"), resources=Resources(cpu=1, gpu=0.5))
    with pytest.raises(
        SuiteError, match=r"asks for cpu=1 gpu=0.5, more than any node of the cluster has \(cpu=2 gpu=0\)"
    ):
        check_resources([greedy])


def test_a_results_folder_behind_a_file_is_one_line(tmp_path):
    (tmp_path / "taken").write_text("not a folder")
    with pytest.raises(SuiteError, match="is a file, not a folder"):
        Store(tmp_path / "taken" / "exp").check_writable()
    Store(tmp_path / "new" / "exp").check_writable()
    assert not (tmp_path / "new").exists()


def test_a_long_row_gives_a_trial_name_that_fits_a_file_name():
    import dataclasses

    spec = dataclasses.replace(tiny_spec("pop"), grid_label="w" * 400)
    label = _trial_label(spec)
    assert len(label) < 100 and label.endswith(spec.key[:6])
