"""`bench/code_use.py`: codes used per position and distinct SIDs, counted from the fit's codes."""

import numpy as np

from bench.code_use import code_use_rows
from suite.registry import tokenizers
from suite.tokenizers.base import Codes, Tokenizer, register_tokenizer


def test_rows_count_the_codes_each_position_uses():
    @register_tokenizer("test-fixed-codes")
    class Fixed(Tokenizer):
        defaults = {"size": 4}

        def fit(self, embeddings, seed):
            n = len(embeddings)
            codes = np.stack([np.arange(n) % 3, np.zeros(n, dtype=int), (np.arange(n) + seed) % 2], axis=1)
            return Codes(codes, (4, 4, 4), reconstruction_mse=0.5)

    try:
        rows = code_use_rows("test-fixed-codes", {}, np.zeros((12, 2), dtype=np.float32), [0, 1])
    finally:
        tokenizers.entries.pop("test-fixed-codes")
    assert [row["seed"] for row in rows] == [0, 1]
    # position 1 cycles 0, 1, 2; position 2 is always 0; position 3 alternates: 6 distinct SIDs
    assert rows[0]["codes used"] == [3, 1, 2]
    assert rows[0]["of"] == [4, 4, 4]
    assert rows[0]["distinct SIDs"] == 6
    assert rows[0]["items"] == 12
    assert rows[0]["reconstruction MSE"] == 0.5
