"""`random`: codes drawn at random, of the same shape as the others (the ablation's control)."""

from __future__ import annotations

import numpy as np

from suite.tokenizers.base import Codes, Tokenizer, register_tokenizer


@register_tokenizer("random")
class RandomCodes(Tokenizer):
    defaults = {"levels": 3, "codebook_size": 32}
    uses_embeddings = False

    def fit(self, embeddings: np.ndarray, seed: int) -> Codes:
        rng = np.random.default_rng(seed)
        size, levels = self.params["codebook_size"], self.params["levels"]
        return Codes(rng.integers(0, size, size=(len(embeddings), levels)), (size,) * levels)
