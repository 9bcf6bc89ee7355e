"""Each `loader:` name -> which raw files a dataset needs and how they are read."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from suite.config import DatasetConfig
from suite.data.amazon import amazon_files, read_amazon
from suite.data.atomic import atomic_files, read_atomic_dataset
from suite.data.interactions import Interactions
from suite.data.movielens import ml1m_files, read_ml1m
from suite.data.sources import builtin_path

FilesFn = Callable[[Path, str, "str | None"], list[Path]]
READERS: dict[str, tuple[FilesFn, Callable[[list[Path]], Interactions]]] = {
    "atomic": (atomic_files, read_atomic_dataset),
    "ml-1m": (ml1m_files, read_ml1m),
    "amazon-2018": (partial(amazon_files, "amazon-2018"), partial(read_amazon, "amazon-2018")),
    "amazon-2023": (partial(amazon_files, "amazon-2023"), partial(read_amazon, "amazon-2023")),
}


def dataset_files(config: DatasetConfig) -> list[Path]:
    """The raw files of a dataset (their bytes key its cache entry); a DataError names a missing one."""
    folder = Path(config.path).expanduser() if config.path else builtin_path(config.name)
    files, _ = READERS[config.loader]
    return files(folder, config.name, config.category)


def load_interactions(config: DatasetConfig) -> Interactions:
    _, read = READERS[config.loader]
    return read(dataset_files(config))
