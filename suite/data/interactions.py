"""Raw interactions as a loader returns them, before filtering and splitting."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


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
