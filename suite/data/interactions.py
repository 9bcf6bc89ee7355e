"""Raw interactions as read from disk, before filtering and splitting."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from suite.config import DatasetConfig
from suite.data.atomic import read_atomic
from suite.data.sources import builtin_path
from suite.errors import DataError

REQUIRED_FIELDS = ("user_id", "item_id", "timestamp")


@dataclass
class Interactions:
    """Parallel arrays of (user, item, timestamp) in file order, plus per-item text fields."""

    users: np.ndarray
    items: np.ndarray
    timestamps: np.ndarray
    item_features: dict[str, dict[str, str]] = field(default_factory=dict)


def dataset_files(config: DatasetConfig) -> list[Path]:
    """The files that determine a dataset; their bytes key its cache entry."""
    folder = Path(config.path).expanduser() if config.path else builtin_path(config.name)
    inter = folder / f"{config.name}.inter"
    if not inter.is_file():
        raise DataError(
            f"dataset {config.name}: {inter} not found; put RecBole atomic files "
            f"({config.name}.inter, optionally {config.name}.item) in {folder}"
        )
    item = folder / f"{config.name}.item"
    return [inter, item] if item.is_file() else [inter]


def load_interactions(config: DatasetConfig) -> Interactions:
    files = dataset_files(config)
    columns = read_atomic(files[0])
    for name in REQUIRED_FIELDS:
        if name not in columns:
            raise DataError(f"{files[0]}:1: header lacks the field {name!r} (needs {', '.join(REQUIRED_FIELDS)})")
    if not columns["user_id"]:
        raise DataError(f"{files[0]}: no interactions")
    timestamps = np.asarray(columns["timestamp"], dtype=np.float64)
    features: dict[str, dict[str, str]] = {}
    if len(files) > 1:
        item_columns = read_atomic(files[1])
        if "item_id" not in item_columns:
            raise DataError(f"{files[1]}:1: header lacks the field 'item_id'")
        for name, values in item_columns.items():
            if name != "item_id":
                features[name] = {
                    item: " ".join(map(str, v)) if isinstance(v, list) else str(v)
                    for item, v in zip(item_columns["item_id"], values, strict=True)
                }
    return Interactions(
        users=np.asarray(columns["user_id"], dtype=object),
        items=np.asarray(columns["item_id"], dtype=object),
        timestamps=timestamps,
        item_features=features,
    )
