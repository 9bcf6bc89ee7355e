"""The mask predictor: a transformer encoder over history and target SID tokens."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from methods.diffusion.masks import attention_mask, blockwise_mask
from suite.dropout import Dropout
from suite.nn import NORMS, Block, BlockShape, Rotary

POSITIONS = ("learned", "rotary")


@dataclass(frozen=True, kw_only=True)
class PredictorConfig(BlockShape):
    """The mask predictor's shape: a sequence of `items` items (the target last) of `m` tokens each."""

    vocab_size: int
    m: int
    items: int
    layers: int
    norm: str = "layer"
    attention: str = "bidirectional"
    positions: str = "learned"


@dataclass
class HistoryCache:
    """Each layer's self-attention keys and values of a batch of histories, and which history
    tokens are not padding (`MaskPredictor.history_cache`)."""

    layers: list[tuple[torch.Tensor, torch.Tensor]]
    keys: torch.Tensor


class MaskPredictor(nn.Module):
    """Token embeddings plus positions, then `layers` blocks.

    `positions`: `learned` adds item-recency and within-item position embeddings; `rotary`
    rotates queries and keys by each token's index in the sequence (MADRec's choice).

    The sequence is `items` items of `m` tokens each, the target item last. The structural
    attention mask (`attention`) is combined with a padding mask; every token may attend to
    itself, so padding rows stay defined. The output layer is tied to the token embedding.

    Decoding scores each user's candidate targets after its history. Under a mask where no
    history token attends to the target item (`causal`, `inter-item-causal`: `caches_history`),
    it computes the history once per user (`history_cache`) and then runs only the target's
    tokens on each pass (`target_states`). Under any other mask the history's states depend on
    the candidate, so each pass runs them again, but the first block's history work is shared
    by a user's candidates (`candidate_states`).
    """

    def __init__(self, config: PredictorConfig):
        super().__init__()
        c = config
        if c.positions not in POSITIONS:
            raise ValueError(f"unknown positions {c.positions!r} (choose from: {', '.join(POSITIONS)})")
        m, items = c.m, c.items
        self.config = config
        self.m, self.items, self.attention = m, items, c.attention
        self.token = nn.Embedding(c.vocab_size, c.d_model, padding_idx=0)
        nn.init.normal_(self.token.weight, std=0.02)
        self.rotary = Rotary(c.d_kv, items * m) if c.positions == "rotary" else None
        if self.rotary is None:
            self.recency = nn.Embedding(items, c.d_model)
            self.position = nn.Embedding(m, c.d_model)
            for embedding in (self.recency, self.position):
                nn.init.normal_(embedding.weight, std=0.02)
        self.blocks = nn.ModuleList(
            Block(
                c.d_model,
                c.heads,
                c.d_kv,
                c.d_ff,
                c.dropout,
                c.norm,
                c.activation,
                attention_dropout=c.attention_dropout,
            )
            for _ in range(c.layers)
        )
        self.norm = NORMS[c.norm](c.d_model)
        self.dropout = Dropout(c.dropout)
        recency = torch.arange(items - 1, -1, -1).repeat_interleave(m)
        self.register_buffer("recency_index", recency, persistent=False)
        self.register_buffer("position_index", torch.arange(m).repeat(items), persistent=False)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Hidden states `[b, items * m, d]`."""
        structure = attention_mask(self.attention, self.items, self.m).to(tokens.device)
        return self._encode(self._embed(tokens), self._visible(structure, tokens != 0))

    @property
    def caches_history(self) -> bool:
        """Whether history states are independent of the target item under this attention mask."""
        history = (self.items - 1) * self.m
        return not bool(attention_mask(self.attention, self.items, self.m)[:history, history:].any())

    def history_cache(self, history: torch.Tensor) -> HistoryCache:
        """Every layer's keys and values of `history` (`[b, (items - 1) * m]` tokens), computed once."""
        if not self.caches_history:
            raise ValueError(f"attention {self.attention!r} lets history tokens see the target: nothing to cache")
        length = history.shape[1]
        structure = attention_mask(self.attention, self.items, self.m)[:length, :length].to(history.device)
        keys = history != 0
        layers: list[tuple[torch.Tensor, torch.Tensor]] = []
        self._encode(self._embed(history), self._visible(structure, keys), collect=layers)
        return HistoryCache(layers, keys)

    def target_states(self, cache: HistoryCache, target: torch.Tensor) -> torch.Tensor:
        """Hidden states `[users, w, m, d]` of each user's `w` candidate targets (`target`,
        `[users, w, m]` tokens) after the user's history in `cache`: equal to the last `m` states
        of `forward` on the history followed by that candidate.

        A user's candidates run as one sequence: their tokens attend to the cached history and
        to their own item only (a block-diagonal mask) and take the target item's positions. So
        the history's keys and values are read once per user, not copied once per candidate."""
        start = cache.keys.shape[1]
        visible = self._candidates_visible(cache.keys, target, start)
        x = self._embed(target.flatten(0, 1), start).unflatten(0, target.shape[:2]).flatten(1, 2)
        hidden = self._encode(x, visible, self._candidate_positions(target, start), cache.layers)
        return hidden.unflatten(1, target.shape[1:])

    def candidate_states(self, history: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Hidden states `[users, w, m, d]` of each user's `w` candidate targets (`[users, w, m]`
        tokens) after its `history` (`[users, (items - 1) * m]`), under any mask (at inference):
        the last `m` states of `forward` on the history followed by each candidate.

        The first block computes the history's queries, keys and values and their attention
        among themselves once per user; each candidate adds only its own tokens' part
        (`Attention.prefix_attention`). The rest runs per candidate, the final block on the
        target's tokens only. With one block, the history serves as keys and values alone."""
        users, width, m = target.shape
        start = history.shape[1]
        history_keys, target_keys = history != 0, target != 0
        first = self.blocks[0]
        x_history, x_target = self.dropout(self._embed(history)), self.dropout(self._embed(target.flatten(0, 1), start))
        normed_history = first.self_norm(x_history)
        history_keys_values = first.self_attention.keys_values(normed_history, self.rotary)
        if len(self.blocks) == 1:
            return self.target_states(HistoryCache([history_keys_values], history_keys), target)
        structure = attention_mask(self.attention, self.items, self.m).to(target.device)
        normed_target = first.self_norm(x_target)
        target_keys_values = first.self_attention.keys_values(normed_target, self.rotary, start)
        suffix_mask = structure[:start, start:] & target_keys[:, :, None, :]  # [users, w, history, m]
        history_part = first.self_attention.prefix_attention(
            normed_history,
            history_keys_values,
            self._visible(structure[:start, :start], history_keys),
            tuple(t.unflatten(0, (users, width)) for t in target_keys_values),
            suffix_mask,
            self.rotary,
        )
        target_part = first.self_attention(
            normed_target.unflatten(0, (users, width)).flatten(1, 2),
            mask=self._candidates_visible(history_keys, target, start)[:, None],
            rotary=self.rotary,
            past=history_keys_values,
            start=self._candidate_positions(target, start),
        ).unflatten(1, (width, m))
        x = torch.cat([x_history[:, None].expand(-1, width, -1, -1), x_target.unflatten(0, (users, width))], dim=2)
        x = first.after_attention(x.flatten(0, 1), torch.cat([history_part, target_part], dim=2).flatten(0, 1))
        keys = torch.cat([history_keys.repeat_interleave(width, 0), target_keys.flatten(0, 1)], dim=1)
        return self._encode(x, self._visible(structure, keys), last=m, first=1).unflatten(0, (users, width))

    def _candidates_visible(self, history_keys: torch.Tensor, target: torch.Tensor, start: int) -> torch.Tensor:
        """`[users, w m, start + w m]`: what each token of a user's `w` candidates (run as one
        sequence after the history) may attend to: the history, and its own item only."""
        width = target.shape[1]
        structure = attention_mask(self.attention, self.items, self.m)[start:].to(target.device)  # [m, start + m]
        own_item = torch.block_diag(*[structure[:, start:]] * width)
        grouped = torch.cat([structure[:, :start].repeat(width, 1), own_item], dim=1)
        return self._visible(grouped, torch.cat([history_keys, (target != 0).flatten(1)], dim=1), start)

    @staticmethod
    def _candidate_positions(target: torch.Tensor, start: int) -> torch.Tensor:
        """Every candidate token's sequence position: each candidate stands at the target's."""
        return start + torch.arange(target.shape[2], device=target.device).repeat(target.shape[1])

    def blockwise(self, clean: torch.Tensor, noisy: torch.Tensor) -> torch.Tensor:
        """Hidden states `[b, items * m, d]` of `noisy`, each item denoised from the clean items before it.

        One pass over `[clean; noisy]` under `blockwise_mask`: for block-causal training of every
        item at once. Learned positions only: both copies take the same position embeddings.
        """
        if self.attention != "inter-item-causal" or self.rotary is not None:
            raise ValueError("blockwise training needs attention 'inter-item-causal' and learned positions")
        structure = blockwise_mask(self.items, self.m).to(clean.device)
        x = torch.cat([self._embed(clean), self._embed(noisy)], dim=1)
        hidden = self._encode(x, self._visible(structure, torch.cat([clean != 0, noisy != 0], dim=1)))
        return hidden[:, clean.shape[1] :]

    def _embed(self, tokens: torch.Tensor, start: int = 0) -> torch.Tensor:
        """Embeddings of `tokens` standing at sequence positions start, start + 1, ..."""
        x = self.token(tokens)
        if self.rotary is None:
            span = slice(start, start + tokens.shape[1])
            x = x + self.recency(self.recency_index[span]) + self.position(self.position_index[span])
        return x

    @staticmethod
    def _visible(structure: torch.Tensor, keys: torch.Tensor, start: int = 0) -> torch.Tensor:
        """`[b, q, k]`: `structure` (`[q, k]`, queries at positions start..) restricted to the
        non-padding `keys` (`[b, k]`); every token sees itself, so padding rows stay defined."""
        queries = start + torch.arange(structure.shape[0], device=keys.device)
        itself = queries[:, None] == torch.arange(keys.shape[1], device=keys.device)[None]
        return (structure & keys[:, None, :]) | itself

    def _encode(
        self,
        x: torch.Tensor,
        visible: torch.Tensor,
        start: int | torch.Tensor = 0,
        past: list[tuple[torch.Tensor, torch.Tensor]] | None = None,
        collect: list[tuple[torch.Tensor, torch.Tensor]] | None = None,
        last: int = 0,
        first: int = 0,
    ) -> torch.Tensor:
        """The blocks under `visible`, after each layer's `past` keys and values when given;
        `start` is the position of `x`'s first token, or every token's position (for rotary
        positions). `collect` receives each layer's keys and values of `x`. With `last` (and no
        `past`), the final block takes the other tokens as keys and values only and returns the
        last `last`. With `first`, `x` is the output of the blocks before that one."""
        x = self.dropout(x) if first == 0 else x
        final = len(self.blocks) - 1
        for index, block in enumerate(self.blocks):
            if index < first:
                continue
            if collect is not None:
                collect.append(block.keys_values(x, self.rotary))
            layer_past = None if past is None else past[index]
            if last and index == final:
                layer_past = block.keys_values(x[:, :-last], self.rotary)
                start, visible, x = start + x.shape[1] - last, visible[:, -last:], x[:, -last:]
            x = block(x, mask=visible[:, None], rotary=self.rotary, past=layer_past, start=start)
        return self.norm(x)

    def logits(self, hidden: torch.Tensor) -> torch.Tensor:
        return hidden @ self.token.weight.T
