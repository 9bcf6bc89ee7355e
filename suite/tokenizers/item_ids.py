"""`item-id`: each item is one token of its own (MADRec's item-ID mode), with no dedup position."""

from __future__ import annotations

import numpy as np

from suite.tokenizers.base import Codes, Tokenizer, register_tokenizer


@register_tokenizer("item-id")
class ItemIds(Tokenizer):
    uses_embeddings = False
    unique = True

    def fit(self, embeddings: np.ndarray, seed: int) -> Codes:
        n = len(embeddings)
        return Codes(np.arange(n, dtype=np.int64)[:, None], (n,))
