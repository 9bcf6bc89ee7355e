"""A dot-product scorer over a whole catalog, in pieces that bound its memory.

- `catalog_topk`: scoring 1,024 users against 10^6 items at once is a 4 GB matrix; item
  chunks bound it at `users x chunk` and merge each chunk's top k into the running one. With a
  single chunk (any catalog up to `chunk` items) it is exactly `torch.topk(queries @ items.T, k)`.
- `catalog_cross_entropy`: the full-catalog softmax loss of every trained position (SASRec's
  windows: 6,400 positions a batch, 25.6 GB of logits at 10^6 items) a chunk of positions at a
  time, each chunk's logits recomputed in the backward pass instead of kept.
"""

from __future__ import annotations

import torch
from torch.nn import functional
from torch.utils.checkpoint import checkpoint

ITEM_CHUNK = 1 << 16
LOGIT_BUDGET = 1 << 26
"""The most logits (positions x catalog rows) one piece of the loss holds: 256 MB in fp32."""


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


def _summed_cross_entropy(hidden: torch.Tensor, table: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return functional.cross_entropy(hidden @ table.T, targets, reduction="sum")


def catalog_cross_entropy(
    hidden: torch.Tensor, table: torch.Tensor, targets: torch.Tensor, budget: int = LOGIT_BUDGET
) -> torch.Tensor:
    """Mean cross-entropy of the scores `hidden [p, d] @ table [n, d].T` against `targets [p]`.

    Where the `[p, n]` logits fit in `budget`, the plain computation (the same numbers, bit for
    bit); otherwise pieces of positions whose logits do, each under `torch.utils.checkpoint`, so
    the backward pass recomputes a piece's logits rather than keeping them all."""
    rows = max(1, budget // max(1, table.shape[0]))
    if hidden.shape[0] <= rows:
        return functional.cross_entropy(hidden @ table.T, targets)
    total = sum(
        checkpoint(_summed_cross_entropy, piece, table, labels, use_reentrant=False)
        for piece, labels in zip(hidden.split(rows), targets.split(rows), strict=True)
    )
    return total / hidden.shape[0]
