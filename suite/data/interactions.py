"""Raw interactions as a loader returns them, before filtering and splitting."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from suite.errors import DataError


def usable_time(path: Path, line: int, value: object) -> float:
    """A timestamp as a finite number; a DataError naming the file and line otherwise (a time
    that is not a number, or NaN or infinite, cannot order a user's interactions)."""
    try:
        time = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise DataError(f"{path}:{line}: timestamp {value!r} is not a number") from None
    if isinstance(value, bool) or not math.isfinite(time):
        raise DataError(f"{path}:{line}: timestamp {value!r} is not a usable time (a finite number)")
    return time


@dataclass
class Interactions:
    """Parallel arrays of (user, item, timestamp) in file order, plus per-item text fields."""

    users: np.ndarray
    items: np.ndarray
    timestamps: np.ndarray
    item_features: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def from_rows(
        cls, users: list[str], items: list[str], timestamps: list[float], features: dict[str, dict[str, str]]
    ) -> Interactions:
        return cls(
            users=np.asarray(users, dtype=object),
            items=np.asarray(items, dtype=object),
            timestamps=np.asarray(timestamps, dtype=np.float64),
            item_features=features,
        )
