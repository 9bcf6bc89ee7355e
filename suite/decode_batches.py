"""How many users one decoding pass of a beam search takes at once."""

from __future__ import annotations

import torch

CPU_PASS_TOKENS = 1 << 14
"""On CPU, the most tokens a decoding pass runs (users x beams x the tokens each beam runs),
whatever a method's `decode_batch_users`: a pass's activations then stay in the cores' caches.
Measured on ML-100K's 943 validation users, one thread of a 2-core EPYC (2 MB of L2 a core),
2026-12-06, in users a pass: LLaDA-Rec (1,050 tokens a user: 10 beams x 105) 15.4 s at 16
against 20.7 s at 64; MADRec (840) 8.1 s at 16 against 11.7 s at 64 and 17.9 s at 256; TIGER
(1,000: each beam attends to 100 history tokens) 1.29 s at 16 against 1.58 s at 128; GREED from
its history cache (40) 2.07 s at 64 against 2.18 s at 16. Every size gave the same top-10 for
every user (the scores agree within float rounding: a matmul over fewer rows may sum in another
order)."""


def users_per_pass(limit: int, device: torch.device, tokens_per_user: int) -> int:
    """`limit` (a method's `decode_batch_users`, the most one pass may take: its memory bound),
    on CPU also at most `CPU_PASS_TOKENS` tokens, where smaller passes run faster."""
    if device.type != "cpu":
        return limit
    return max(1, min(limit, CPU_PASS_TOKENS // max(1, tokens_per_user)))
