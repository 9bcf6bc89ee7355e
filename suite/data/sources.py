"""Where datasets come from: the dataset-loader interface, and the datasets shipped inside packages.

A dataset that is not built in names a `loader:` and a `path:` (the folder holding the raw
files as downloaded from the dataset's home). Nothing is ever fetched. A loader is one class
registered by name (`@register_loader("name")`); a plugin adds a file format the same way.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import ClassVar

from suite.data.interactions import Interactions
from suite.errors import DataError
from suite.registry import loaders

register_loader = loaders.register

BUILTIN_DATASETS = {"ml-100k": "atomic"}
"""Datasets found inside installed packages, by name, with the loader that reads them."""


class Loader:
    """A raw dataset format: which files a dataset needs, and how they become interactions."""

    name: ClassVar[str] = ""
    home: ClassVar[str] = ""  # where the raw files are downloaded from, named in a missing-file error
    default_k_core: ClassVar[int] = 0  # k-core filtering applied unless the YAML says `k_core:`

    def files(self, folder: Path, dataset: str, category: str | None) -> list[Path]:
        """The raw files of `dataset` under `folder` (`category`: a per-category file stem, if any);
        `require_file` for each one that must exist."""
        raise NotImplementedError

    def read(self, files: list[Path]) -> Interactions:
        """Parse the files; a DataError names the file and line of anything malformed."""
        raise NotImplementedError


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
        home = loaders.get(loader).home
        raise DataError(f"dataset {dataset}: {path} not found; download it from {home} into {path.parent}")
    return path
