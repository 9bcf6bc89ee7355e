"""Decoding the next item's SID by iterative unmasking: orders, steps and beam search.

Every diffusion method decodes with `diffusion_beam_search`:
- Beams are partially filled SIDs (-1 = still masked) with their joint log-probabilities.
- Each of the T steps runs the predictor once on every beam (one batched call), and each
  beam picks its own positions to fix by the `order` rule. The number fixed per step
  follows `step_schedule`, which sums to the number of free positions.
- For each picked position in turn, every beam is expanded by the tokens there and the set
  is pruned back to `beam` by joint log-probability. Positions fixed in one step are scored
  by that step's pass: a product of conditionals.
- `constrained` keeps only tokens that some catalog item still matches, so every finished
  beam is a real item (`suite.semantic_ids.valid_codes` answers without scanning the
  catalog); without it an invalid SID simply matches no item.
- `given` fixes some positions of the target in advance (GREED's conditional mode); they
  are never changed.
- `last` names a position the order rule never picks while another is free: the dedup
  position, which separates items that share their codes, is then decoded after the codes it
  depends on, as TIGER decodes it (`dedup: last`). Left to the order rule, a near-certain
  dedup value (code 0) tends to be fixed first, from the history alone (`dedup: ordered`).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from suite.semantic_ids.valid_codes import ValidCodeIndex

ORDERS = ("confidence", "margin", "left-to-right", "right-to-left", "random")
DEDUP_RULES = ("last", "ordered")
ScoreFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
"""`score(codes, user)`: `codes` `[users * w, m]` are every user's `w` beams, each user's
consecutive and the users in order, so `user` is `arange(users).repeat_interleave(w)`."""


def step_schedule(free: int, steps: int) -> list[int]:
    """How many positions each of `steps` passes fixes: as equal as possible, earlier ones more."""
    if not 1 <= steps <= max(free, 1):
        raise ValueError(f"steps must lie in 1..{free}, got {steps}")
    base, extra = divmod(free, steps)
    return [base + (1 if i < extra else 0) for i in range(steps)]


def _priority(
    log_probs: torch.Tensor, codes: torch.Tensor, order: str, random_rank: torch.Tensor, last: int | None
) -> torch.Tensor:
    """`[u, b, m]` priority of every position (higher goes first); fixed positions get -inf and
    the `last` position the lowest finite value, so it goes after every other free one."""
    m = codes.shape[-1]
    if order == "confidence":
        priority = log_probs.max(-1).values
    elif order == "margin":
        top = log_probs.exp().topk(2, dim=-1).values
        priority = top[..., 0] - top[..., 1]
    elif order == "left-to-right":
        priority = -torch.arange(m, dtype=log_probs.dtype).expand_as(codes)
    elif order == "right-to-left":
        priority = torch.arange(m, dtype=log_probs.dtype).expand_as(codes)
    elif order == "random":
        priority = random_rank[:, None, :].expand_as(codes).to(log_probs.dtype)
    else:
        raise ValueError(f"unknown order {order!r} (choose from: {', '.join(ORDERS)})")
    if last is not None:
        priority = priority.clone()
        priority[..., last] = torch.finfo(priority.dtype).min
    return priority.masked_fill(codes >= 0, float("-inf"))


def diffusion_beam_search(
    score: ScoreFn,
    users: int,
    length: int,
    beam: int,
    order: str,
    steps: int,
    catalog: ValidCodeIndex | torch.Tensor | None = None,
    given: torch.Tensor | None = None,
    last: int | None = None,
    random_rank: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Best `beam` SIDs `[users, b, m]` and joint log-probabilities `[users, b]`.

    `score(codes [n, m], user [n]) -> [n, m, C]` gives each position's log-probability of
    every code (-inf beyond a position's codebook). `catalog` (`[items, m]`, or its index,
    built once per catalog) turns on the validity constraint. `given` (`[users, m]`, -1 = free)
    fixes positions in advance; `last` is a position decoded after all others (see above), and
    `random_rank` (`[users, m]`, uniform draws; None: drawn from seed 0) ranks the positions
    under the `random` order.
    """
    if isinstance(catalog, torch.Tensor):
        catalog = ValidCodeIndex(catalog)
    codes = torch.full((users, 1, length), -1, dtype=torch.long)
    if given is not None:
        codes = given[:, None, :].clone()
    free = int((codes[0, 0] < 0).sum())
    if given is not None and not bool(((given < 0).sum(1) == free).all()):
        raise ValueError("every user must leave the same number of positions free")
    scores = torch.zeros(users, 1)
    if random_rank is None:
        random_rank = torch.rand(users, length, generator=torch.Generator().manual_seed(0))
    rows = torch.arange(users)
    for count in step_schedule(free, steps):
        width = scores.shape[1]
        log_probs = score(codes.flatten(0, 1), rows.repeat_interleave(width)).view(users, width, length, -1)
        picks = _priority(log_probs, codes, order, random_rank, last).topk(count, dim=-1).indices  # [u, b, count]
        size = log_probs.shape[-1]
        for r in range(count):
            position = picks[..., r]  # [u, b]
            candidates = log_probs.gather(2, position[..., None, None].expand(-1, -1, 1, size)).squeeze(2)
            if catalog is not None:
                allowed = catalog.valid(codes.flatten(0, 1), position.flatten(), size)
                candidates = candidates.masked_fill(~allowed.view(users, -1, size), float("-inf"))
            total = (scores[..., None] + candidates).flatten(1)
            scores, flat = total.topk(min(beam, total.shape[1]), dim=1)
            parent, code = flat // size, flat % size
            code = code.masked_fill(torch.isinf(scores), 0)  # a dead beam (-inf) keeps a harmless code
            codes = codes.gather(1, parent[..., None].expand(-1, -1, length)).clone()
            chosen = position.gather(1, parent)
            codes.scatter_(2, chosen[..., None], code[..., None])
            log_probs = log_probs.gather(1, parent[..., None, None].expand(-1, -1, length, size))
            picks = picks.gather(1, parent[..., None].expand(-1, -1, count))
    return codes, scores
