"""Which codes at a free position still lead to a catalog item, for SIDs fixed at any positions.

Constrained decoding asks this for every beam at every step, and in any order (not only left
to right, where a prefix trie would do). Scanning the catalog costs O(items) per beam; this
index answers in O(log items + codes) per beam, whatever the catalog's size:

- for each set S of fixed positions and each free position p that decoding asks about, a
  sorted table of the distinct pairs (codes at S, code at p), each encoded as one int64 in
  mixed radix; built on first use and kept;
- a beam whose codes at S are v finds, by two binary searches, the run of pairs that begin
  with v; the codes at p in that run are exactly the valid ones.

Beams are grouped by (S, p), so each group is one batched search. Where the catalog's code
space does not fit an int64 key, the index falls back to the scan.
"""

from __future__ import annotations

import torch

KEY_LIMIT = 2**62  # keys stay below this, so (key, code) pairs fit an int64


def scan_valid_tokens(codes: torch.Tensor, catalog: torch.Tensor, position: torch.Tensor, size: int) -> torch.Tensor:
    """`[n, size]`: which codes at `position` (per beam) some catalog item with the beam's fixed
    codes has, by comparing every beam with every item (the reference; O(items) per beam)."""
    match = ((codes[:, None, :] < 0) | (codes[:, None, :] == catalog[None])).all(-1)  # [n, items]
    at_position = catalog[:, position].T  # [n, items]
    counts = torch.zeros(len(codes), size, device=codes.device)
    return counts.scatter_add_(1, at_position, match.float()) > 0


class CatalogScan:
    """The scan with the index's interface: the reference that tests and benchmarks compare with."""

    def __init__(self, catalog: torch.Tensor):
        self.catalog = catalog

    def valid(self, codes: torch.Tensor, position: torch.Tensor, size: int) -> torch.Tensor:
        return scan_valid_tokens(codes, self.catalog, position, size)


class ValidCodeIndex:
    """The valid codes at any free position of partly fixed SIDs over `catalog` (`[items, m]`)."""

    def __init__(self, catalog: torch.Tensor):
        self.catalog = catalog.long()
        self.radix = (self.catalog.max(0).values + 1).tolist() if len(catalog) else [1] * catalog.shape[1]
        total = 1
        for size in self.radix:
            total *= size
        self.fits = total < KEY_LIMIT
        self.tables: dict[tuple[int, int], torch.Tensor] = {}

    def to(self, device: torch.device) -> ValidCodeIndex:
        self.catalog = self.catalog.to(device)
        self.tables = {key: table.to(device) for key, table in self.tables.items()}
        return self

    def _positions(self, bits: int) -> list[int]:
        return [j for j in range(len(self.radix)) if bits >> j & 1]

    def _keys(self, codes: torch.Tensor, positions: list[int]) -> torch.Tensor:
        """Mixed-radix int64 keys of `codes` at `positions`."""
        key = torch.zeros(len(codes), dtype=torch.long, device=codes.device)
        for j in positions:
            key = key * self.radix[j] + codes[:, j]
        return key

    def _table(self, bits: int, position: int) -> torch.Tensor:
        """The sorted distinct (key at the fixed positions `bits`, code at `position`) pairs."""
        table = self.tables.get((bits, position))
        if table is None:
            pairs = self._keys(self.catalog, self._positions(bits)) * self.radix[position]
            table = torch.unique(pairs + self.catalog[:, position])  # sorted
            self.tables[(bits, position)] = table
        return table

    def build_all(self) -> int:
        """Builds every table any order can ask for (each set of fixed positions, each free
        position) instead of on first use; returns their total entries."""
        m = len(self.radix)
        tables = [self._table(bits, j) for bits in range(2**m - 1) for j in range(m) if not bits >> j & 1]
        return sum(len(table) for table in tables)

    def valid(self, codes: torch.Tensor, position: torch.Tensor, size: int) -> torch.Tensor:
        """`[n, size]`: as `scan_valid_tokens(codes, catalog, position, size)`, without the scan."""
        if not self.fits:
            return scan_valid_tokens(codes, self.catalog, position, size)
        n, m = codes.shape
        rows = torch.arange(n, device=codes.device)
        fixed = codes >= 0
        fixed[rows, position] = False
        bits = (fixed.long() << torch.arange(m, device=codes.device)).sum(1)
        allowed = torch.zeros(n, size, dtype=torch.bool, device=codes.device)
        # a fixed code no item has at its position (beyond the radix) leaves nothing valid
        beyond = (fixed & (codes >= torch.tensor(self.radix, device=codes.device))).any(1)
        groups = torch.where(beyond, -1, bits * m + position)
        for group in torch.unique(groups).tolist():
            if group < 0:
                continue
            mask, at = divmod(group, m)
            members = rows[groups == group]
            table = self._table(mask, at)
            radix = self.radix[at]
            start = self._keys(codes[members], self._positions(mask)) * radix
            low = torch.searchsorted(table, start)
            high = torch.searchsorted(table, start + radix)
            lengths = high - low
            if not bool(lengths.any()):
                continue
            owner = members.repeat_interleave(lengths)
            offsets = torch.arange(int(lengths.sum()), device=codes.device) - (
                lengths.cumsum(0) - lengths
            ).repeat_interleave(lengths)
            found = table[low.repeat_interleave(lengths) + offsets] % radix
            allowed[owner, found] = True
        return allowed
