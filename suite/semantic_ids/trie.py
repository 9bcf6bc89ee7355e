"""A prefix trie over the catalog's semantic IDs, as dense tables for batched decoding.

Level j holds a table `[prefixes at depth j, codebook size j]`: the id of the prefix one code
longer, or -1 where no item continues that way. After the last level a prefix id is an item.
"""

from __future__ import annotations

import numpy as np
import torch


class PrefixTrie:
    def __init__(self, codes: np.ndarray, codebook_sizes: tuple[int, ...]):
        codes = np.asarray(codes, dtype=np.int64)
        n_items, depth = codes.shape
        prefix = np.zeros(n_items, dtype=np.int64)
        self.children: list[torch.Tensor] = []
        for j in range(depth):
            pairs, child = np.unique(np.stack([prefix, codes[:, j]], axis=1), axis=0, return_inverse=True)
            table = np.full((prefix.max() + 1, codebook_sizes[j]), -1, dtype=np.int64)
            table[pairs[:, 0], pairs[:, 1]] = np.arange(len(pairs))
            self.children.append(torch.from_numpy(table))
            prefix = child.reshape(-1)
        if len(np.unique(prefix)) != n_items:
            raise ValueError("semantic IDs are not unique: add the dedup position first")
        leaf_item = np.empty(n_items, dtype=np.int64)
        leaf_item[prefix] = np.arange(n_items)
        self.leaf_item = torch.from_numpy(leaf_item)
        self.depth = depth

    def to(self, device: torch.device) -> PrefixTrie:
        self.children = [table.to(device) for table in self.children]
        self.leaf_item = self.leaf_item.to(device)
        return self

    def next(self, prefix: torch.Tensor, level: int) -> torch.Tensor:
        """`[n, size_level]` child prefix ids (-1: invalid) of prefixes `[n]` at depth `level`.

        An invalid prefix (-1) has no valid children.
        """
        table = self.children[level]
        children = table[prefix.clamp(min=0)]
        return children.masked_fill((prefix < 0)[:, None], -1)

    def items(self, codes: torch.Tensor) -> torch.Tensor:
        """Item ids of full SIDs `[n, depth]`; -1 where a SID names no item."""
        prefix = torch.zeros(len(codes), dtype=torch.long, device=codes.device)
        for level in range(self.depth):
            prefix = self.next(prefix, level).gather(1, codes[:, level : level + 1]).squeeze(1)
        return torch.where(prefix >= 0, self.leaf_item[prefix.clamp(min=0)], prefix)

    def rank(self, codes: torch.Tensor, scores: torch.Tensor, k: int) -> tuple[np.ndarray, np.ndarray, float]:
        """Items `[u, k]` for decoded beams `[u, b, m]` sorted by score, and the share naming no item.

        The share is over decoded beams: a beam with score -inf (the search found fewer than
        `b` candidates) decoded nothing and is left out of it. An item reached by two beams
        keeps its better one; lists shorter than `k` are padded with -1.
        """
        decoded = ~torch.isinf(scores)
        items = self.items(codes.flatten(0, 1)).view(codes.shape[:2]).masked_fill(~decoded, -1)
        invalid = float(((items < 0) & decoded).sum() / decoded.sum().clamp(min=1))
        found = np.full((len(items), k), -1, dtype=np.int64)
        best = np.full((len(items), k), -np.inf, dtype=np.float32)
        for row, (row_items, row_scores) in enumerate(zip(items.tolist(), scores.tolist(), strict=True)):
            seen: list[int] = []
            for item, value in zip(row_items, row_scores, strict=True):
                if item >= 0 and item not in seen and len(seen) < k:
                    best[row, len(seen)] = value
                    seen.append(item)
            found[row, : len(seen)] = seen
        return found, best, invalid
