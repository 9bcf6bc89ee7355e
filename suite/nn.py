"""Transformer building blocks shared by the sequence models (TIGER and the diffusion core).

Pre-norm blocks over `scaled_dot_product_attention`, with a choice of norm (LayerNorm or
RMSNorm) and activation (GELU, ReLU or SiLU), and heads of `d_kv` dims that need not divide
`d_model` (T5's layout). Dropout on the attention probabilities is its own setting: on CPU it
makes `scaled_dot_product_attention` fall off its fused path and costs ~2.7x the attention.
Rotary positions (`Rotary`) can be applied to queries and keys instead of added embeddings.
Self-attention can take keys and values computed earlier (`past`) for tokens before `x`, with
`start` the position of `x`'s first token (or a tensor of every token's position): decoding
then runs only the new tokens.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, TypeVar

import torch
from torch import nn
from torch.nn import functional

from suite.dropout import Dropout

NORMS = {"layer": nn.LayerNorm, "rms": nn.RMSNorm}
ACTIVATIONS = {"gelu": nn.GELU, "relu": nn.ReLU, "silu": nn.SiLU}

Config = TypeVar("Config")


@dataclass(frozen=True, kw_only=True)
class BlockShape:
    """What every `Block` of a model shares; the models' config dataclasses extend it."""

    d_model: int
    heads: int
    d_kv: int
    d_ff: int
    dropout: float = 0.1
    attention_dropout: float = 0.0
    activation: str = "gelu"


def config_from(cls: type[Config], params: Mapping[str, Any], **given: Any) -> Config:
    """A model's config dataclass: the fields in `given`, the rest from a method's `params`."""
    return cls(**{f.name: given[f.name] if f.name in given else params[f.name] for f in fields(cls)})


class Rotary(nn.Module):
    """Rotary position embedding: rotates query/key channel pairs by position-dependent angles."""

    def __init__(self, d_kv: int, length: int, base: float = 10000.0):
        super().__init__()
        if d_kv % 2:
            raise ValueError(f"rotary positions need an even d_kv, got {d_kv}")
        frequencies = base ** (-torch.arange(0, d_kv, 2, dtype=torch.float) / d_kv)
        angles = torch.arange(length, dtype=torch.float)[:, None] * frequencies[None]  # [L, d_kv/2]
        # per channel, pairs interleaved: (cos, cos) and (-sin, sin) for the pair (even, odd)
        self.register_buffer("cos", angles.cos().repeat_interleave(2, dim=-1), persistent=False)
        self.register_buffer("sin", torch.stack((-angles.sin(), angles.sin()), dim=-1).flatten(-2), persistent=False)

    def forward(self, x: torch.Tensor, start: int | torch.Tensor = 0) -> torch.Tensor:
        """`x` `[b, h, L, d_kv]` rotated by the angles of positions start..start+L-1 (or, where
        `start` is a tensor, of the positions it lists, one per token): each pair (even, odd)
        becomes (even cos - odd sin, odd cos + even sin), as two products of `x` and of `x` with
        its pairs swapped (2.2x faster on CPU than rotating the halves and stacking them, and the
        same numbers)."""
        at = slice(start, start + x.shape[-2]) if isinstance(start, int) else start
        swapped = x.unflatten(-1, (-1, 2)).flip(-1).flatten(-2)
        return x * self.cos[at] + swapped * self.sin[at]


class Attention(nn.Module):
    def __init__(self, d_model: int, heads: int, d_kv: int, dropout: float):
        super().__init__()
        self.heads, self.d_kv, self.dropout = heads, d_kv, dropout
        self.query = nn.Linear(d_model, heads * d_kv, bias=False)
        self.key_value = nn.Linear(d_model, 2 * heads * d_kv, bias=False)
        self.out = nn.Linear(heads * d_kv, d_model, bias=False)

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        return x.unflatten(-1, (self.heads, self.d_kv)).transpose(1, 2)

    def keys_values(
        self, source: torch.Tensor, rotary: Rotary | None = None, start: int | torch.Tensor = 0
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Keys (rotated when `rotary` is given) and values of `source`, each `[b, h, L, d_kv]`."""
        key, value = self.key_value(source).chunk(2, dim=-1)
        key = self._split(key)
        return (key if rotary is None else rotary(key, start)), self._split(value)

    def forward(
        self,
        x: torch.Tensor,
        mask: torch.Tensor | None = None,
        causal: bool = False,
        rotary: Rotary | None = None,
        past: tuple[torch.Tensor, torch.Tensor] | None = None,
        start: int | torch.Tensor = 0,
        keys_values: tuple[torch.Tensor, torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """`mask` is boolean, True where a query may attend to a key, broadcast to [b, h, q, k].

        `past` holds keys and values of earlier tokens, placed before those of `x`. Given
        `keys_values` (of another sequence: cross-attention), `x` gives only the queries; where
        they have fewer rows than `x`, each serves that many consecutive rows of `x` (a user's
        beams), which attend to it as one longer query sequence instead of a copy each."""
        if keys_values is not None and len(keys_values[0]) != len(x):
            group = len(x) // len(keys_values[0])
            folded = self.forward(x.unflatten(0, (-1, group)).flatten(1, 2), mask, keys_values=keys_values)
            return folded.unflatten(1, (group, -1)).flatten(0, 1)
        key, value = self.keys_values(x, rotary, start) if keys_values is None else keys_values
        if past is not None:
            key, value = torch.cat([past[0], key], dim=2), torch.cat([past[1], value], dim=2)
        query = self._split(self.query(x))
        if rotary is not None:
            query = rotary(query, start)
        attended = functional.scaled_dot_product_attention(
            query,
            key,
            value,
            attn_mask=mask,
            dropout_p=self.dropout if self.training else 0.0,
            is_causal=causal,
        )
        return self.out(attended.transpose(1, 2).flatten(2))

    def prefix_attention(
        self,
        prefix: torch.Tensor,
        prefix_keys_values: tuple[torch.Tensor, torch.Tensor],
        prefix_mask: torch.Tensor,
        suffix_keys_values: tuple[torch.Tensor, torch.Tensor],
        suffix_mask: torch.Tensor,
        rotary: Rotary | None = None,
    ) -> torch.Tensor:
        """Self-attention outputs `[u, w, P, d_model]` of a prefix's tokens (`prefix`, `[u, P,
        d_model]`, normed, positions 0..P-1, with their `keys_values`) in each of `w` sequences
        per row that continue the prefix with their own suffix, whose keys and values
        `suffix_keys_values` (`[u, w, h, S, d_kv]` each) follow it. The same as attending over
        each whole sequence (at inference: no attention dropout), but the prefix's queries and
        its part of the attention are computed once per row; each suffix adds only its S keys,
        merged in through the two parts' softmax normalizers.

        `prefix_mask` `[u, P, P]` and `suffix_mask` `[u, w, P, S]`: which keys each prefix token
        may attend to. Every prefix token must see at least one prefix key (itself, say)."""
        query = self._split(self.query(prefix))
        key, value = prefix_keys_values
        if rotary is not None:
            query = rotary(query)
        scale = self.d_kv**-0.5
        own = (query @ key.transpose(-1, -2) * scale).masked_fill(~prefix_mask[:, None], float("-inf"))
        own_max = own.amax(-1, keepdim=True)  # [u, h, P, 1], finite: every token sees a key
        own_weights = (own - own_max).exp()
        own_sum, own_out = own_weights.sum(-1, keepdim=True), own_weights @ value  # [u, h, P, 1], [u, h, P, d_kv]
        suffix_key, suffix_value = suffix_keys_values
        other = (query[:, None] @ suffix_key.transpose(-1, -2) * scale).masked_fill(
            ~suffix_mask[:, :, None], float("-inf")
        )  # [u, w, h, P, S]
        top = torch.maximum(own_max[:, None], other.amax(-1, keepdim=True))
        other_weights = (other - top).exp()
        rescale = (own_max[:, None] - top).exp()
        numerator = own_out[:, None] * rescale + other_weights @ suffix_value
        denominator = own_sum[:, None] * rescale + other_weights.sum(-1, keepdim=True)
        attended = (numerator / denominator).transpose(2, 3).flatten(3)  # [u, w, P, h * d_kv]
        return self.out(attended)


class Block(nn.Module):
    """Self-attention, optional cross-attention, feed-forward; each pre-normed and residual."""

    def __init__(
        self,
        d_model: int,
        heads: int,
        d_kv: int,
        d_ff: int,
        dropout: float,
        norm: str = "layer",
        activation: str = "gelu",
        cross_attention: bool = False,
        attention_dropout: float = 0.0,
    ):
        super().__init__()
        self.self_norm = NORMS[norm](d_model)
        self.self_attention = Attention(d_model, heads, d_kv, attention_dropout)
        self.cross_norm = NORMS[norm](d_model) if cross_attention else None
        self.cross_attention = Attention(d_model, heads, d_kv, attention_dropout) if cross_attention else None
        self.ff_norm = NORMS[norm](d_model)
        self.feed_forward = nn.Sequential(
            nn.Linear(d_model, d_ff), ACTIVATIONS[activation](), Dropout(dropout), nn.Linear(d_ff, d_model)
        )
        self.dropout = Dropout(dropout)

    def forward(
        self,
        x: torch.Tensor,
        mask: torch.Tensor | None = None,
        causal: bool = False,
        memory: tuple[torch.Tensor, torch.Tensor] | None = None,
        memory_mask: torch.Tensor | None = None,
        rotary: Rotary | None = None,
        past: tuple[torch.Tensor, torch.Tensor] | None = None,
        start: int | torch.Tensor = 0,
    ) -> torch.Tensor:
        """`memory`: the encoder states' cross-attention keys and values (`memory_keys_values`)."""
        attended = self.self_attention(
            self.self_norm(x), mask=mask, causal=causal, rotary=rotary, past=past, start=start
        )
        return self.after_attention(x, attended, memory, memory_mask)

    def after_attention(
        self,
        x: torch.Tensor,
        attended: torch.Tensor,
        memory: tuple[torch.Tensor, torch.Tensor] | None = None,
        memory_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """The rest of `forward` once the self-attention of `self_norm(x)` is `attended`."""
        x = x + self.dropout(attended)
        if self.cross_attention is not None:
            x = x + self.dropout(self.cross_attention(self.cross_norm(x), mask=memory_mask, keys_values=memory))
        return x + self.dropout(self.feed_forward(self.ff_norm(x)))

    def keys_values(self, x: torch.Tensor, rotary: Rotary | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """The self-attention keys and values this block computes for `x`: what `past` takes later."""
        return self.self_attention.keys_values(self.self_norm(x), rotary)

    def memory_keys_values(self, memory: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The cross-attention keys and values of encoder states `memory`: what `forward` takes
        as `memory`, computed once where many decoder inputs attend to the same states."""
        return self.cross_attention.keys_values(memory)
