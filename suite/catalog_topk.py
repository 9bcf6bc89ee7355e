"""The top k items of a dot-product scorer over a whole catalog, a chunk of items at a time.

Scoring 1,024 users against 10^6 items at once is a 4 GB matrix; item chunks bound it at
`users x chunk` and merge each chunk's top k into the running one. With a single chunk (any
catalog up to `chunk` items) it is exactly `torch.topk(queries @ items.T, k)`.
"""

from __future__ import annotations

import torch

ITEM_CHUNK = 1 << 16


def catalog_topk(
    queries: torch.Tensor, items: torch.Tensor, k: int, chunk: int = ITEM_CHUNK
) -> tuple[torch.Tensor, torch.Tensor]:
    """Values and item indices `[u, min(k, n)]` of the best scores `queries [u, d] @ items [n, d].T`."""
    best_values, best_indices = None, None
    for start in range(0, len(items), chunk):
        scores = queries @ items[start : start + chunk].T
        values, indices = scores.topk(min(k, scores.shape[1]), dim=1)
        indices = indices + start
        if best_values is not None:
            values, indices = torch.cat([best_values, values], dim=1), torch.cat([best_indices, indices], dim=1)
            values, order = values.topk(min(k, values.shape[1]), dim=1)
            indices = indices.gather(1, order)
        best_values, best_indices = values, indices
    return best_values, best_indices
