"""`rq-kmeans` (MADRec, OneRec): k-means on the embeddings, then on the residuals, level by level."""

from __future__ import annotations

import numpy as np

from suite.tokenizers.base import COLLISION_RULES, Codes, Tokenizer, register_tokenizer
from suite.tokenizers.networks import kmeans


def squared_distances(points: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """`[n, k]` squared Euclidean distances, without an `[n, k, d]` intermediate."""
    cross = points @ centroids.T
    return np.maximum((points**2).sum(1)[:, None] - 2 * cross + (centroids**2).sum(1)[None, :], 0.0)


@register_tokenizer("rq-kmeans")
class ResidualKMeans(Tokenizer):
    # Paper: 3 levels x 256 codes + dedup, kept here. On ML-100K's 1,682 items smaller codebooks
    # collide far more (32: 31%, 128: 23%, 256: 4% of items), as shared residual codebooks
    # separate near-identical item texts poorly. On co-occurrence vectors 64 codes collide on 15%
    # (32: 35%); benchmark.yaml's MADRec uses 64, where 256 leaves each code ~7 items to learn from.
    defaults = {"levels": 3, "codebook_size": 256, "iterations": 25, "collisions": "dedup"}
    choices = {"collisions": COLLISION_RULES}  # sinkhorn: the last level's codes reassigned, no dedup position
    keyless_at_default = ("collisions",)

    def fit(self, embeddings: np.ndarray, seed: int) -> Codes:
        residual = np.asarray(embeddings, dtype=np.float32).copy()
        size = self.params["codebook_size"]
        codes, norms, costs = [], [], None
        for level in range(self.params["levels"]):
            centroids, assignment = kmeans(residual, size, seed + level, self.params["iterations"])
            if level == self.params["levels"] - 1 and self.params["collisions"] == "sinkhorn":
                costs = squared_distances(residual, centroids)
            residual = residual - centroids[assignment]
            codes.append(assignment)
            norms.append(float(np.mean(np.sum(residual**2, axis=1))))
        mse = float(np.mean(residual**2))
        return Codes(np.stack(codes, axis=1), (size,) * len(codes), mse, {"residual_sq_norm": norms}, costs)
