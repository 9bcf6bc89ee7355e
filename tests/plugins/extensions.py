"""A third-party extension of every kind, as README "Extending" shows them: a dataset loader, a
tokenizer, a method, a metric, a significance test and a correction, one class or function each.

`tests/test_extending.py` copies this file out of the repository and loads it through
`SUITE_PLUGINS` and through entry points.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy import stats

from suite.context import TrainContext
from suite.data.interactions import Interactions
from suite.data.sources import Loader, register_loader, require_file
from suite.errors import DataError
from suite.metrics import Metric, RankedLists, register_metric
from suite.protocol import MethodBase, TopK
from suite.registry import register
from suite.stats import register_correction, register_test
from suite.tokenizers.base import Codes, Tokenizer, register_tokenizer


@register_loader("plain-csv")
class PlainCsvLoader(Loader):
    """`<name>.csv` with a header `user,item,timestamp`."""

    home = "your own export"

    def files(self, folder: Path, dataset: str, category: str | None) -> list[Path]:
        return [require_file(dataset, self.name, folder / f"{category or dataset}.csv")]

    def read(self, files: list[Path]) -> Interactions:
        users, items, times = [], [], []
        with open(files[0], newline="") as handle:
            for number, row in enumerate(csv.DictReader(handle), start=2):
                try:
                    times.append(float(row["timestamp"]))
                except (KeyError, TypeError, ValueError):
                    raise DataError(f"{files[0]}:{number}: no numeric timestamp") from None
                users.append(row["user"])
                items.append(row["item"])
        return Interactions.from_rows(users, items, times, {})


@register_tokenizer("modulo")
class ModuloTokenizer(Tokenizer):
    """Two codes per item: its index modulo `size`, and the index divided by `size` modulo `size`."""

    defaults = {"size": 4}
    uses_embeddings = False

    def fit(self, embeddings: np.ndarray, seed: int) -> Codes:
        size = self.params["size"]
        index = np.arange(len(embeddings))
        return Codes(np.stack([index % size, (index // size) % size], axis=1), (size, size))


@register("code-pop")
class CodePop(MethodBase):
    """The most popular items whose first semantic-ID code is that of the user's last item."""

    defaults = {"tokenizer": {"name": "modulo"}}

    def fit(self, run: TrainContext) -> None:
        ids = run.semantic_ids(self.params["tokenizer"])
        self.first_code = ids.codes[:, 0]
        counts = np.bincount(np.concatenate(run.data.train_sequences()), minlength=run.data.n_items)
        self.order = np.lexsort((np.arange(len(counts)), -counts))

    def recommend(self, histories: Sequence[np.ndarray], k: int, **inference) -> TopK:
        items = np.full((len(histories), k), -1)
        for row, history in enumerate(histories):
            same = self.order[self.first_code[self.order] == self.first_code[history[-1]]]
            ranked = np.concatenate([same, self.order[~np.isin(self.order, same)]])[:k]
            items[row, : len(ranked)] = ranked
        return TopK(items=items, scores=-np.arange(k, dtype=np.float32)[None].repeat(len(histories), 0))


@register_metric("precision")
class Precision(Metric):
    """Precision@K with one relevant item: 1/K when the target is in the first K."""

    label = "P"

    @classmethod
    def values(cls, lists: RankedLists, k: int) -> np.ndarray:
        return ((lists.ranks > 0) & (lists.ranks <= k)) / k


@register_test("sign")
def sign_test(a: np.ndarray, b: np.ndarray, seed: int) -> float:
    """The two-sided sign test on the users whose values differ."""
    wins = int(np.sum(a > b))
    return float(stats.binomtest(wins, wins + int(np.sum(a < b))).pvalue)


@register_correction("sidak")
def sidak(p: np.ndarray) -> np.ndarray:
    return 1.0 - (1.0 - p) ** p.size
