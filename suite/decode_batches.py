"""How many users one decoding pass of a beam search takes at once."""

from __future__ import annotations

import torch

CPU_DECODE_USERS = 16
"""On CPU, the most users a decoding pass takes, whatever a method's `decode_batch_users`: a pass's
activations (users x beams x tokens x width) then stay in the cores' caches. Measured on ML-100K's
943 validation users, one thread of a 2-core EPYC (2 MB of L2 a core), 2026-12-06: MADRec 8.5 s
at 16 users a pass against 12.5 s at 64 and 17.9 s at 256; LLaDA-Rec 15.4 s against 20.7 s at
64; TIGER 1.29 s against 1.58 s at 128. Every size gave the same top-10 for every user (the
scores agree within float rounding: a matmul over fewer rows may sum in another order)."""


def users_per_pass(limit: int, device: torch.device) -> int:
    """`limit` (a method's `decode_batch_users`, the most one pass may take: its memory bound),
    capped at `CPU_DECODE_USERS` on CPU, where smaller passes run faster."""
    return min(limit, CPU_DECODE_USERS) if device.type == "cpu" else limit
