"""Masking noise and the masked-diffusion loss.

A mask rate t is drawn per example, t ~ U(0, 1] (or GREED's clipped U[gamma, gamma + beta]);
each maskable token is replaced by [MASK] independently with probability t. The loss is
the cross-entropy on the masked tokens, weighted 1/t and divided by the number of maskable
tokens of the example (the ELBO of masked diffusion), averaged over the examples that have any.
"""

from __future__ import annotations

import torch
from torch.nn import functional


def sample_rates(n: int, generator: torch.Generator, low: float = 0.0, width: float = 1.0) -> torch.Tensor:
    """`n` mask rates uniform on (low, low + width]."""
    return low + width * (1.0 - torch.rand(n, generator=generator))


def corrupt(
    tokens: torch.Tensor, maskable: torch.Tensor, rates: torch.Tensor, mask_token: int, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Noisy tokens and which positions were masked."""
    draws = torch.rand(tokens.shape, generator=generator).to(tokens.device)
    masked = maskable & (draws < rates[:, None])
    return tokens.masked_fill(masked, mask_token), masked


def corrupt_items(
    blocks: torch.Tensor, maskable: torch.Tensor, mask_token: int, generator: torch.Generator, exact: bool
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-item noise of LLaDA-Rec's public code over items `blocks` `[n, m]`: noisy tokens,
    which were masked, and each item's rate r/m.

    `exact`: the item draws r in 1..m and exactly r of its tokens are masked (the next-item
    loss); otherwise r in 0..m and each token is masked with probability r/m (the history loss).
    """
    n, m = blocks.shape
    if exact:
        r = torch.randint(1, m + 1, (n,), generator=generator)
        rank = torch.rand((n, m), generator=generator).argsort(1).argsort(1)  # a random order of positions
        chosen = rank < r[:, None]
    else:
        r = torch.randint(0, m + 1, (n,), generator=generator)
        chosen = torch.rand((n, m), generator=generator) < (r / m)[:, None]
    masked = maskable & chosen.to(blocks.device)
    return blocks.masked_fill(masked, mask_token), masked, (r / m).to(blocks.device)


LOSS_WEIGHTINGS = ("elbo", "normalized")


def masked_diffusion_loss(
    logits: torch.Tensor,
    targets: torch.Tensor,
    rows: torch.Tensor,
    rates: torch.Tensor,
    maskable: torch.Tensor,
    weighting: str = "elbo",
) -> torch.Tensor:
    """1/t-weighted CE over masked tokens (`logits` `[n_masked, V]`, `rows`: their examples).

    `elbo` (the papers' form): each example's sum of CE / t over its maskable-token count,
    averaged over the examples with maskable tokens. `normalized` (MADRec's public code): sum(CE / t) / sum(1 / t)
    over the batch's masked tokens, which tames the variance of small t.
    """
    per_token = functional.cross_entropy(logits, targets, reduction="none")
    if weighting == "normalized":
        weights = 1.0 / rates[rows]
        return (per_token * weights).sum() / weights.sum().clamp(min=1e-8)
    per_example = torch.zeros(len(rates), device=logits.device).index_add(0, rows, per_token)
    counts = maskable.sum(1)
    safe_rates = rates.clamp(min=1e-12)  # a row with rate 0 has nothing masked and adds 0
    return (per_example / safe_rates / counts.clamp(min=1)).sum() / (counts > 0).sum().clamp(min=1)
