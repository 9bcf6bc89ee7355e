"""Filter, order and split interactions leave-one-out; cache the result by content hash.

Protocol (DESIGN section 5): k-core filtering where the dataset asks for it (`k_core`), then
per user, interactions sorted by time (file order breaks ties);
the last item is the test target, the second-to-last the validation target, the rest is
training data. Users with fewer than `min_items` interactions are dropped. Item ids are
0..n_items-1 in sorted order of the raw item tokens; every item left after filtering is in
the catalog, so ranking is over the full catalog.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from suite.cache import content_hash, file_hash, get_or_build
from suite.data.filtering import k_core
from suite.data.interactions import Interactions
from suite.data.loaders import dataset_files, load_interactions
from suite.errors import DataError
from suite.types import DatasetConfig

PREPARE_VERSION = "4"  # 3: timestamps must be finite numbers; 4: the sorted timestamps are kept


@dataclass
class PreparedData:
    """One dataset, split leave-one-out. Sequences hold internal item ids in time order."""

    name: str
    item_tokens: np.ndarray
    user_tokens: np.ndarray
    sequences: list[np.ndarray]
    item_features: dict[str, list[str]] = field(default_factory=dict)
    timestamps: list[np.ndarray] | None = None  # per user, aligned with `sequences`

    @property
    def n_items(self) -> int:
        return len(self.item_tokens)

    @property
    def n_users(self) -> int:
        return len(self.user_tokens)

    def train_sequences(self) -> list[np.ndarray]:
        return [s[:-2] for s in self.sequences]

    def valid_targets(self) -> np.ndarray:
        return np.array([s[-2] for s in self.sequences], dtype=np.int64)

    def test_targets(self) -> np.ndarray:
        return np.array([s[-1] for s in self.sequences], dtype=np.int64)

    def valid_histories(self, length: int) -> list[np.ndarray]:
        """Each user's training items, the most recent `length` of them."""
        return [s[:-2][-length:] for s in self.sequences]

    def test_histories(self, length: int) -> list[np.ndarray]:
        """Each user's items before the test item, the most recent `length` of them."""
        return [s[:-1][-length:] for s in self.sequences]

    def with_train_sequences(self, train: Sequence[np.ndarray]) -> PreparedData:
        """The same users and targets with other training sequences (e.g. sparsified ones): what
        is fitted on `train_sequences()` (co-occurrence SIDs) then sees only those."""
        sequences = [np.concatenate([t, s[-2:]]) for t, s in zip(train, self.sequences, strict=True)]
        return replace(self, sequences=sequences, timestamps=None)

    def item_counts(self) -> np.ndarray:
        """`[n_items]`: each item's interactions in the training sequences."""
        return np.bincount(np.concatenate(self.train_sequences()), minlength=self.n_items)

    def stats(self) -> dict[str, float]:
        """Dataset statistics in the shape of LLaDA-Rec Table 2."""
        interactions = sum(len(s) for s in self.sequences)
        distinct = sum(len(np.unique(s)) for s in self.sequences)  # a user who repeats an item counts it once
        return {
            "users": self.n_users,
            "items": self.n_items,
            "interactions": interactions,
            "distinct_pairs": distinct,
            "sparsity": 1.0 - distinct / (self.n_users * self.n_items),
            "avg_len": interactions / self.n_users,
            **self.tie_stats(),
        }

    def tie_stats(self) -> dict[str, float]:
        """How often time cannot order a user's interactions (file order breaks those ties):
        `tied_share`, the share of interactions with the same timestamp as the user's previous
        one, and `tied_valid_test_share`, the share of users whose validation and test items
        have the same timestamp, so that which of the two is the "next" item is file order."""
        if self.timestamps is None:
            return {}
        tied = sum(int((np.diff(t) == 0).sum()) for t in self.timestamps)
        tied_last = sum(bool(t[-1] == t[-2]) for t in self.timestamps if len(t) >= 2)
        total = sum(len(t) for t in self.timestamps)
        return {"tied_share": tied / total, "tied_valid_test_share": tied_last / self.n_users}


def split_sequences(raw: Interactions, min_items: int, max_users: int | None, core: int = 0) -> PreparedData:
    """k-core filter, group interactions into per-user time-ordered sequences, index the items."""
    if core > 1:
        _, users = np.unique(raw.users.astype(str), return_inverse=True)
        _, items = np.unique(raw.items.astype(str), return_inverse=True)
        kept = k_core(users, items, core)
        if not kept.any():
            raise DataError(f"no interactions survive {core}-core filtering")
        raw = Interactions(raw.users[kept], raw.items[kept], raw.timestamps[kept], raw.item_features)
    user_tokens, user_index = np.unique(raw.users.astype(str), return_inverse=True)
    order = np.lexsort((np.arange(len(user_index)), raw.timestamps, user_index))
    counts = np.bincount(user_index, minlength=len(user_tokens))
    keep_users = np.flatnonzero(counts >= min_items)
    if max_users is not None:
        keep_users = keep_users[:max_users]
    if len(keep_users) == 0:
        raise DataError(f"no user has at least {min_items} interactions")
    kept = np.isin(user_index[order], keep_users)
    order = order[kept]
    item_tokens, item_index = np.unique(raw.items[order].astype(str), return_inverse=True)
    boundaries = np.cumsum(counts[keep_users])[:-1]
    sequences = [s.astype(np.int64) for s in np.split(item_index, boundaries)]
    timestamps = np.split(raw.timestamps[order].astype(np.float64), boundaries)
    features = {name: [values.get(token, "") for token in item_tokens] for name, values in raw.item_features.items()}
    return PreparedData(
        name="",
        item_tokens=item_tokens,
        user_tokens=user_tokens[keep_users],
        sequences=sequences,
        item_features=features,
        timestamps=timestamps,
    )


def _save(data: PreparedData, folder: Path) -> None:
    lengths = np.array([len(s) for s in data.sequences], dtype=np.int64)
    np.savez(
        folder / "data.npz",
        items=np.concatenate(data.sequences),
        lengths=lengths,
        item_tokens=data.item_tokens.astype(str),
        user_tokens=data.user_tokens.astype(str),
        timestamps=np.concatenate(data.timestamps),
    )
    (folder / "features.json").write_text(json.dumps(data.item_features))


def _load(folder: Path, name: str) -> PreparedData:
    with np.load(folder / "data.npz") as arrays:
        boundaries = np.cumsum(arrays["lengths"])[:-1]
        return PreparedData(
            name=name,
            item_tokens=arrays["item_tokens"],
            user_tokens=arrays["user_tokens"],
            sequences=list(np.split(arrays["items"], boundaries)),
            item_features=json.loads((folder / "features.json").read_text()),
            timestamps=list(np.split(arrays["timestamps"], boundaries)),
        )


def prepare(config: DatasetConfig) -> PreparedData:
    """Load, filter and split a dataset, through the cache."""
    files = dataset_files(config)
    key = content_hash(
        PREPARE_VERSION,
        config.loader,
        *[file_hash(f) for f in files],
        json.dumps({"min_items": config.min_items, "max_users": config.max_users, "k_core": config.k_core}),
    )

    def build(folder: Path) -> None:
        raw = load_interactions(config)
        _save(split_sequences(raw, config.min_items, config.max_users, config.k_core), folder)

    folder, _ = get_or_build("datasets", key, build)
    return _load(folder, config.name)
