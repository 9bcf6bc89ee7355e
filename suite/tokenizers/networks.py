"""Small pieces shared by the learned tokenizers: MLPs, k-means, a training loop."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import faiss
import numpy as np
import torch
from torch import nn


def mlp(dims: Sequence[int]) -> nn.Sequential:
    """Linear layers through `dims` with ReLU between them (none after the last)."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(dims[:-1], dims[1:], strict=True)):
        layers.append(nn.Linear(a, b))
        if i < len(dims) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def kmeans(points: np.ndarray, k: int, seed: int, iterations: int = 25) -> tuple[np.ndarray, np.ndarray]:
    """faiss k-means: centroids `[k, d]` and each point's nearest centroid."""
    points = np.ascontiguousarray(points, dtype=np.float32)
    model = faiss.Kmeans(points.shape[1], k, niter=iterations, seed=seed, verbose=False, min_points_per_centroid=1)
    model.train(points)
    _, assignment = model.index.search(points, 1)
    return model.centroids.copy(), assignment[:, 0].astype(np.int64)


def train(
    parameters: Iterable[nn.Parameter],
    loss_fn: Callable[[torch.Tensor], torch.Tensor],
    data: torch.Tensor,
    epochs: int,
    batch_size: int,
    lr: float,
    seed: int,
) -> float:
    """AdamW over shuffled mini-batches of `data`; returns the last epoch's mean loss."""
    optimizer = torch.optim.AdamW(list(parameters), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    mean = float("nan")
    for _ in range(epochs):
        total = 0.0
        for batch in torch.randperm(len(data), generator=generator).split(batch_size):
            loss = loss_fn(data[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        mean = total / len(data)
    return mean
