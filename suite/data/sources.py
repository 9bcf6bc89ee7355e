"""Where datasets come from: built-in datasets shipped inside packages, and the loader names.

A dataset that is not built in names a `loader:` and a `path:` (the folder holding the raw
files as downloaded from the dataset's home). Nothing is ever fetched.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from suite.errors import DataError

HOMES = {
    "atomic": "RecBole's dataset collection, https://github.com/RUCAIBox/RecSysDatasets",
    "ml-1m": "GroupLens, https://grouplens.org/datasets/movielens/1m/",
    "amazon-2018": "the McAuley lab's Amazon Review Data (2018), https://nijianmo.github.io/amazon/",
    "amazon-2023": "the McAuley lab's Amazon Reviews 2023, https://amazon-reviews-2023.github.io/",
}
"""Each loader's name and where its raw files are downloaded from."""

LOADERS = tuple(HOMES)
"""Loader names a dataset entry may give as `loader:`."""

DEFAULT_K_CORE = {"amazon-2018": 5, "amazon-2023": 5}
"""k-core filtering a loader applies unless the YAML says `k_core:` (others: none)."""

BUILTIN_DATASETS = {"ml-100k": "atomic"}
"""Datasets found inside installed packages, by name, with the loader that reads them."""


def builtin_path(name: str) -> Path:
    """The folder of a built-in dataset: ML-100K ships inside the `recbole` wheel."""
    spec = importlib.util.find_spec("recbole")
    if spec is None or not spec.submodule_search_locations:
        raise DataError(f"dataset {name}: the recbole package is not installed; run `make benchmark` to set up")
    folder = Path(next(iter(spec.submodule_search_locations))) / "dataset_example" / name
    if not folder.is_dir():
        raise DataError(f"dataset {name}: {folder} is missing from the installed recbole package")
    return folder


def require_file(dataset: str, loader: str, path: Path) -> Path:
    """`path` if it is a file, else a DataError naming it and where to obtain the data."""
    if not path.is_file():
        raise DataError(f"dataset {dataset}: {path} not found; download it from {HOMES[loader]} into {path.parent}")
    return path
