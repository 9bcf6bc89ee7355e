"""A prefix trie over the catalog's semantic IDs, as tables for batched decoding.

Level j maps (prefix at depth j, code) to the id of the prefix one code longer, or -1 where no
item continues that way. After the last level a prefix id is an item. A level is a dense
`int32` table `[prefixes at depth j, codebook size j]` while that table is small; past
`DENSE_ENTRIES` entries it is the sorted keys `prefix * size + code` of the pairs that exist,
searched in bulk, so memory grows with the catalog and not with prefixes x codebook (at 10^6
items with a 256-code dedup level the dense table alone would take 1 GB).
"""

from __future__ import annotations

import numpy as np
import torch

DENSE_ENTRIES = 1 << 24
"""The largest dense level table (64 MiB of int32); larger levels are kept sparse."""


class _Level:
    """One level: child prefix ids of (prefix, code) pairs, dense or as sorted keys."""

    def __init__(self, pairs: np.ndarray, n_prefixes: int, size: int, dense_entries: int):
        self.size = size
        child = np.arange(len(pairs))
        if n_prefixes * size <= dense_entries:
            table = np.full((n_prefixes, size), -1, dtype=np.int32)
            table[pairs[:, 0], pairs[:, 1]] = child
            self.table: torch.Tensor | None = torch.from_numpy(table)
            self.keys = None
        else:  # np.unique sorted the pairs, so their keys are sorted too
            self.table = None
            self.keys = torch.from_numpy(pairs[:, 0] * size + pairs[:, 1])

    def to(self, device: torch.device) -> _Level:
        self.table = None if self.table is None else self.table.to(device)
        self.keys = None if self.keys is None else self.keys.to(device)
        return self

    def children(self, prefix: torch.Tensor) -> torch.Tensor:
        """`[n, size]` child ids (int64) of valid prefixes `[n]` (>= 0)."""
        if self.table is not None:
            return self.table[prefix].long()
        return self._find(prefix[:, None] * self.size + torch.arange(self.size, device=prefix.device))

    def child(self, prefix: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        """`[n]` child ids (int64) of valid prefixes `[n]` by one code each: one lookup a pair,
        where `children` looks up the whole codebook."""
        if self.table is not None:
            return self.table[prefix, code].long()
        return self._find(prefix * self.size + code)

    def _find(self, wanted: torch.Tensor) -> torch.Tensor:
        found = torch.searchsorted(self.keys, wanted).clamp(max=len(self.keys) - 1)
        return torch.where(self.keys[found] == wanted, found, -1)


class PrefixTrie:
    def __init__(self, codes: np.ndarray, codebook_sizes: tuple[int, ...], dense_entries: int = DENSE_ENTRIES):
        codes = np.asarray(codes, dtype=np.int64)
        n_items, depth = codes.shape
        prefix = np.zeros(n_items, dtype=np.int64)
        self.levels: list[_Level] = []
        for j in range(depth):
            pairs, child = np.unique(np.stack([prefix, codes[:, j]], axis=1), axis=0, return_inverse=True)
            self.levels.append(_Level(pairs, int(prefix.max()) + 1, codebook_sizes[j], dense_entries))
            prefix = child.reshape(-1)
        if len(np.unique(prefix)) != n_items:
            raise ValueError("semantic IDs are not unique: add the dedup position first")
        leaf_item = np.empty(n_items, dtype=np.int64)
        leaf_item[prefix] = np.arange(n_items)
        self.leaf_item = torch.from_numpy(leaf_item)
        self.depth = depth

    def to(self, device: torch.device) -> PrefixTrie:
        self.levels = [level.to(device) for level in self.levels]
        self.leaf_item = self.leaf_item.to(device)
        return self

    def next(self, prefix: torch.Tensor, level: int) -> torch.Tensor:
        """`[n, size_level]` child prefix ids (-1: invalid) of prefixes `[n]` at depth `level`.

        An invalid prefix (-1) has no valid children.
        """
        children = self.levels[level].children(prefix.clamp(min=0))
        return children.masked_fill((prefix < 0)[:, None], -1)

    def items(self, codes: torch.Tensor) -> torch.Tensor:
        """Item ids of full SIDs `[n, depth]`; -1 where a SID names no item."""
        prefix = torch.zeros(len(codes), dtype=torch.long, device=codes.device)
        for level in range(self.depth):
            child = self.levels[level].child(prefix.clamp(min=0), codes[:, level])
            prefix = child.masked_fill(prefix < 0, -1)
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
