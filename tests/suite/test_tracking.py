"""The tracking: section. Its files, written by a real run, are read back in tests/suite/test_runner.py."""

import pytest

from suite.config import parse_config
from suite.errors import ConfigError
from suite.types import TrackingConfig

TRACKED = {
    "experiment": "tracked",
    "seeds": [0],
    "max_failures": 0,
    "datasets": {"ml-100k": {"max_users": 60, "history": 20}},
    "methods": {"sasrec": {"epochs": 2, "patience": 5, "hidden_size": 16, "inner_size": 32}},
    "tracking": {"tensorboard": True, "mlflow": True},
}


def test_tracking_is_parsed_and_checked():
    assert parse_config({**TRACKED}, "t.yaml").tracking == TrackingConfig(tensorboard=True, mlflow=True)
    server = {**TRACKED, "tracking": {"mlflow": {"tracking_uri": "http://127.0.0.1:5000"}}}
    assert parse_config(server, "t.yaml").tracking.mlflow_uri == "http://127.0.0.1:5000"
    with pytest.raises(ConfigError, match="tracking.tensorboard: expected bool, got 'yes'"):
        parse_config({**TRACKED, "tracking": {"tensorboard": "yes"}}, "t.yaml")
    with pytest.raises(ConfigError, match=r"tracking.wandb: unknown key \(allowed: tensorboard, mlflow\)"):
        parse_config({**TRACKED, "tracking": {"wandb": True}}, "t.yaml")
