"""Where datasets come from: built-in datasets shipped inside packages and loader names."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from suite.errors import DataError

LOADERS = ("atomic",)
"""Loader names a dataset entry may give as `loader:`."""

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
