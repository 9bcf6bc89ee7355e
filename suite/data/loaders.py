"""A dataset entry's raw files and interactions, through the loader its `loader:` names."""

from __future__ import annotations

from pathlib import Path

from suite.data.interactions import Interactions
from suite.data.sources import builtin_path
from suite.registry import loaders
from suite.types import DatasetConfig


def dataset_files(config: DatasetConfig) -> list[Path]:
    """The raw files of a dataset (their bytes key its cache entry); a DataError names a missing one."""
    folder = Path(config.path).expanduser() if config.path else builtin_path(config.name)
    return loaders.get(config.loader)().files(folder, config.name, config.category)


def load_interactions(config: DatasetConfig) -> Interactions:
    return loaders.get(config.loader)().read(dataset_files(config))
