"""The mask predictor: a transformer encoder over history and target SID tokens."""

from __future__ import annotations

import torch
from torch import nn

from methods.diffusion.masks import attention_mask, blockwise_mask
from suite.nn import NORMS, Block, Rotary

POSITIONS = ("learned", "rotary")


class MaskPredictor(nn.Module):
    """Token embeddings plus positions, then `layers` blocks.

    `positions`: `learned` adds item-recency and within-item position embeddings; `rotary`
    rotates queries and keys by each token's index in the sequence (MADRec's choice).

    The sequence is `items` items of `m` tokens each, the target item last. The structural
    attention mask (`attention`) is combined with a padding mask; every token may attend to
    itself, so padding rows stay defined. The output layer is tied to the token embedding.
    """

    def __init__(
        self,
        vocab_size: int,
        m: int,
        items: int,
        d_model: int,
        heads: int,
        d_kv: int,
        d_ff: int,
        layers: int,
        dropout: float,
        attention_dropout: float,
        norm: str,
        activation: str,
        attention: str,
        positions: str = "learned",
    ):
        super().__init__()
        if positions not in POSITIONS:
            raise ValueError(f"unknown positions {positions!r} (choose from: {', '.join(POSITIONS)})")
        self.m, self.items, self.attention = m, items, attention
        self.token = nn.Embedding(vocab_size, d_model, padding_idx=0)
        nn.init.normal_(self.token.weight, std=0.02)
        self.rotary = Rotary(d_kv, items * m) if positions == "rotary" else None
        if self.rotary is None:
            self.recency = nn.Embedding(items, d_model)
            self.position = nn.Embedding(m, d_model)
            for embedding in (self.recency, self.position):
                nn.init.normal_(embedding.weight, std=0.02)
        self.blocks = nn.ModuleList(
            Block(d_model, heads, d_kv, d_ff, dropout, norm, activation, attention_dropout=attention_dropout)
            for _ in range(layers)
        )
        self.norm = NORMS[norm](d_model)
        self.dropout = nn.Dropout(dropout)
        recency = torch.arange(items - 1, -1, -1).repeat_interleave(m)
        self.register_buffer("recency_index", recency, persistent=False)
        self.register_buffer("position_index", torch.arange(m).repeat(items), persistent=False)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Hidden states `[b, items * m, d]`."""
        structure = attention_mask(self.attention, self.items, self.m).to(tokens.device)
        return self._encode(self._embed(tokens), tokens != 0, structure)

    def blockwise(self, clean: torch.Tensor, noisy: torch.Tensor) -> torch.Tensor:
        """Hidden states `[b, items * m, d]` of `noisy`, each item denoised from the clean items before it.

        One pass over `[clean; noisy]` under `blockwise_mask`: for block-causal training of every
        item at once. Learned positions only: both copies take the same position embeddings.
        """
        if self.attention != "inter-item-causal" or self.rotary is not None:
            raise ValueError("blockwise training needs attention 'inter-item-causal' and learned positions")
        structure = blockwise_mask(self.items, self.m).to(clean.device)
        x = torch.cat([self._embed(clean), self._embed(noisy)], dim=1)
        hidden = self._encode(x, torch.cat([clean != 0, noisy != 0], dim=1), structure)
        return hidden[:, clean.shape[1] :]

    def _embed(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.token(tokens)
        if self.rotary is None:
            x = x + self.recency(self.recency_index) + self.position(self.position_index)
        return x

    def _encode(self, x: torch.Tensor, keys: torch.Tensor, structure: torch.Tensor) -> torch.Tensor:
        """The blocks under `structure` restricted to non-padding `keys`; every token sees itself."""
        itself = torch.eye(x.shape[1], dtype=torch.bool, device=x.device)
        mask = (structure & keys[:, None, :]) | itself
        x = self.dropout(x)
        for block in self.blocks:
            x = block(x, mask=mask[:, None], rotary=self.rotary)
        return self.norm(x)

    def logits(self, hidden: torch.Tensor) -> torch.Tensor:
        return hidden @ self.token.weight.T
