"""Collaborative item vectors from the training sequences: PPMI of co-occurrence, factorized.

Two items co-occur when they lie within `window` positions of each other in a user's
training sequence (validation and test targets are never counted). The positive pointwise
mutual information of those counts is factorized by a truncated SVD, and each item's vector
is its row of U * sqrt(S): the factorization that skip-gram item embeddings approximate.
Items without a co-occurrence get the zero vector.

A tokenizer reads these instead of (or beside) the text embeddings with `input:`; SIDs built
from collaborative vectors are the TIGER-SAS idea (SIDs from behaviour, not text).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import svds
from sklearn.utils.extmath import randomized_svd

from suite.cache import content_hash, get_or_build
from suite.data.prepare import PreparedData

COOCCURRENCE_VERSION = "1"


def cooccurrence_counts(sequences: list[np.ndarray], n_items: int, window: int) -> sparse.csr_matrix:
    """Symmetric `[n_items, n_items]` counts of pairs at most `window` positions apart."""
    rows, cols = [], []
    for sequence in sequences:
        for lag in range(1, min(window, len(sequence) - 1) + 1):
            rows += [sequence[:-lag], sequence[lag:]]
            cols += [sequence[lag:], sequence[:-lag]]
    if not rows:
        return sparse.csr_matrix((n_items, n_items))
    row, col = np.concatenate(rows), np.concatenate(cols)
    return sparse.coo_matrix((np.ones(len(row)), (row, col)), shape=(n_items, n_items)).tocsr()  # sums repeats


def positive_pmi(counts: sparse.csr_matrix) -> sparse.csr_matrix:
    """max(0, log(p(a, b) / (p(a) p(b)))) on the nonzero counts."""
    coo = counts.tocoo()
    total = coo.data.sum()
    marginal = np.asarray(counts.sum(axis=1)).ravel()
    pmi = np.log(coo.data * total / (marginal[coo.row] * marginal[coo.col]))
    keep = pmi > 0
    return sparse.coo_matrix((pmi[keep], (coo.row[keep], coo.col[keep])), shape=counts.shape).tocsr()


RANDOMIZED_ABOVE = 100_000
"""Catalogs of more items are factorized by a randomized SVD (scikit-learn's, Halko et al.) instead
of ARPACK: on a sparse log the top singular values can be nearly equal, where ARPACK's iterations
do not converge in useful time (10^6 synthetic items, 10^4 users: over 35 CPU minutes, against 48 s
randomized; `bench/scale.py`). At 10^5 items both take about 5 s and agree on the singular values
within 1.2%; ML-100K, ML-1M and Amazon's catalogs keep ARPACK's exact result."""
RANDOMIZED_POWER_ITERATIONS = 6


def uses_randomized_svd(n_items: int) -> bool:
    return n_items > RANDOMIZED_ABOVE


def factorize(matrix: sparse.csr_matrix, dim: int, seed: int = 0) -> np.ndarray:
    """`[n, dim]` rows of U * sqrt(S) from the top-`dim` singular triplets (zero-padded if rank is lower)."""
    n = matrix.shape[0]
    rank = min(dim, n - 1, matrix.nnz)
    vectors = np.zeros((n, dim), dtype=np.float32)
    if rank < 1:
        return vectors
    if uses_randomized_svd(n):
        u, s, _ = randomized_svd(matrix.astype(np.float64), rank, n_iter=RANDOMIZED_POWER_ITERATIONS, random_state=seed)
    else:
        start = np.random.default_rng(seed).standard_normal(n)
        u, s, _ = svds(matrix.astype(np.float64), k=rank, v0=start)
    order = np.argsort(-s)
    vectors[:, :rank] = u[:, order] * np.sqrt(s[order])
    return vectors


def cooccurrence_vectors(data: PreparedData, dim: int = 64, window: int = 5) -> np.ndarray:
    """`[n_items, dim]` collaborative vectors of the training sequences, through the cache."""
    sequences = data.train_sequences()
    solver = {"solver": "randomized"} if uses_randomized_svd(data.n_items) else {}  # ARPACK's keys unchanged
    settings = json.dumps({"dim": dim, "window": window, "n_items": data.n_items, **solver})
    lengths = np.array([len(s) for s in sequences], dtype=np.int64)
    key = content_hash(
        COOCCURRENCE_VERSION, settings, lengths.tobytes(), np.concatenate(sequences).astype(np.int64).tobytes()
    )

    def build(folder: Path) -> None:
        counts = cooccurrence_counts(sequences, data.n_items, window)
        np.save(folder / "vectors.npy", factorize(positive_pmi(counts), dim))

    folder, _ = get_or_build("cooccurrence", key, build)
    return np.load(folder / "vectors.npy")
