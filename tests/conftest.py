"""Shared fixtures: an isolated cache per test session and tiny benchmark configs."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True, scope="session")
def isolated_cache(tmp_path_factory):
    """Point SUITE_CACHE at a temporary folder, so tests never touch the user's cache."""
    folder = tmp_path_factory.mktemp("suite-cache")
    patcher = pytest.MonkeyPatch()
    patcher.setenv("SUITE_CACHE", str(folder))
    yield folder
    patcher.undo()


def pytest_collection_modifyitems(config, items):
    """Tests marked `gpu` need a CUDA device; without one they are skipped, saying so."""
    import torch

    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA device (none here)")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)
