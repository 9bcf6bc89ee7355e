"""Attention masks over a sequence of items, each `m` tokens long (the `attention` axis).

True means "the query token may attend to the key token".
- `bidirectional`: every token sees every token.
- `causal`: token-level causal; a token sees itself and every earlier token.
- `inter-item-causal`: a token sees all tokens of its own item and of earlier items
  (block-causal; GREED's mask).
- `intra-item-causal`: causal inside an item, bidirectional across items.

`blockwise_mask` serves block-diffusion training (GREED's objective): the clean sequence and
its noised copy side by side, so that every noised item is denoised from the clean items
before it in one pass.
"""

from __future__ import annotations

from functools import lru_cache

import torch

ATTENTION_MASKS = ("bidirectional", "causal", "inter-item-causal", "intra-item-causal")


@lru_cache(maxsize=64)
def attention_mask(kind: str, n_items: int, tokens_per_item: int) -> torch.Tensor:
    """Boolean `[L, L]` mask with L = n_items * tokens_per_item; built once per shape."""
    length = n_items * tokens_per_item
    index = torch.arange(length)
    item, position = index // tokens_per_item, index % tokens_per_item
    same_item = item[:, None] == item[None, :]
    if kind == "bidirectional":
        mask = torch.ones(length, length, dtype=torch.bool)
    elif kind == "causal":
        mask = index[:, None] >= index[None, :]
    elif kind == "inter-item-causal":
        mask = item[:, None] >= item[None, :]
    elif kind == "intra-item-causal":
        mask = ~same_item | (position[:, None] >= position[None, :])
    else:
        raise ValueError(f"unknown attention mask {kind!r} (choose from: {', '.join(ATTENTION_MASKS)})")
    return mask


@lru_cache(maxsize=64)
def blockwise_mask(n_items: int, tokens_per_item: int) -> torch.Tensor:
    """Boolean `[2L, 2L]` mask over `[clean; noisy]`, L = n_items * tokens_per_item.

    Clean tokens see the clean tokens of their own and earlier items (block-causal, as at
    inference); noisy tokens see the clean tokens of earlier items and the noisy tokens of
    their own item. Clean tokens never see noisy ones.
    """
    item = torch.arange(n_items * tokens_per_item) // tokens_per_item
    clean_to_clean = item[:, None] >= item[None, :]
    noisy_to_clean = item[:, None] > item[None, :]
    noisy_to_noisy = item[:, None] == item[None, :]
    top = torch.cat([clean_to_clean, torch.zeros_like(clean_to_clean)], dim=1)
    bottom = torch.cat([noisy_to_clean, noisy_to_noisy], dim=1)
    return torch.cat([top, bottom], dim=0)
