"""Most-popular items: the sanity floor, and the smallest example of a registered method."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from suite.context import TrainContext
from suite.protocol import MethodBase, TopK
from suite.registry import register


@register("pop")
class Pop(MethodBase):
    """Recommends every user the items seen most often in training (ties: lower item id first)."""

    reads_history = False

    def fit(self, run: TrainContext) -> None:
        counts = run.data.item_counts()
        self.ranking = np.lexsort((np.arange(len(counts)), -counts))
        self.counts = counts.astype(np.float32)

    def recommend(self, histories: Sequence[np.ndarray], k: int, **inference) -> TopK:
        top = self.ranking[:k]
        items = np.broadcast_to(top, (len(histories), len(top))).copy()
        return TopK(items=items, scores=np.broadcast_to(self.counts[top], items.shape).copy(), nfe=0.0)
