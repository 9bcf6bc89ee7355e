"""Token ids for semantic IDs: one vocabulary for every position, after the special tokens."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def item_tokens(histories: Sequence[np.ndarray], sid_tokens: np.ndarray, slots: int) -> np.ndarray:
    """The last `slots` items of each history as SID tokens `[b, slots * m]`, left-padded with 0."""
    items = np.full((len(histories), slots), -1, dtype=np.int64)
    for row, history in enumerate(histories):
        recent = history[-slots:] if slots else history[:0]
        if len(recent):
            items[row, -len(recent) :] = recent
    tokens = np.where(items[..., None] >= 0, sid_tokens[items.clip(min=0)], 0)
    return tokens.reshape(len(histories), -1)


class SidVocabulary:
    """Code c at position j becomes token `len(specials) + offset_j + c`; specials come first."""

    def __init__(self, codebook_sizes: tuple[int, ...], specials: tuple[str, ...] = ("pad",)):
        self.sizes = tuple(codebook_sizes)
        self.specials = {name: index for index, name in enumerate(specials)}
        self.offsets = len(specials) + np.concatenate([[0], np.cumsum(self.sizes)[:-1]]).astype(np.int64)
        self.size = len(specials) + int(sum(self.sizes))

    def __getitem__(self, special: str) -> int:
        return self.specials[special]

    @property
    def length(self) -> int:
        return len(self.sizes)

    def tokens(self, codes: np.ndarray) -> np.ndarray:
        """Token ids of codes `[..., m]`."""
        return np.asarray(codes, dtype=np.int64) + self.offsets

    def span(self, position: int) -> slice:
        """The token ids of position `position`'s codebook, as a slice of the vocabulary."""
        start = int(self.offsets[position])
        return slice(start, start + self.sizes[position])
