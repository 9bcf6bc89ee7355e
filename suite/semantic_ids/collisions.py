"""Collisions resolved without a dedup position: Sinkhorn reassignment of the last level's code.

LLaDA-Rec's authors give no item an extra dedup token. Where several items share all their
codes, they move all but one of them to other codes of the last level, chosen by Sinkhorn
(an entropy-regularised optimal transport) on the distances of the items to those codes.
Here, within each group of items sharing every code but the last:
- each occupied last code keeps its nearest item; the others are the items to move;
- they are moved to the group's free codes of the last level: a Sinkhorn plan between those
  items and those codes (one unit each; a cost-free "unused" row takes the codes left over)
  on the squared distances, rounded to a one-to-one assignment by taking its largest entries
  first. As the regularisation shrinks, the plan tends to the least-cost assignment.
Every prefix group then has distinct last codes, so every item's codes are its own.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

from suite.errors import SuiteError

EPSILON = 0.002  # regularisation, relative to the spread of a group's costs: near the exact assignment
ITERATIONS = 1000


def sinkhorn_plan(costs: np.ndarray, epsilon: float = EPSILON, iterations: int = ITERATIONS) -> np.ndarray:
    """`[rows, cols]` transport plan (rows <= cols): each row sends 1 and each column receives at
    most 1, the balance going to an "unused" row of cost 0. Log-domain iterations."""
    rows, cols = costs.shape
    spread = float(costs.max() - costs.min()) or 1.0
    padded = np.vstack([costs - costs.min(), np.zeros((1, cols))])
    kernel = -padded / (epsilon * spread)
    log_row = np.append(np.zeros(rows), np.log(max(cols - rows, 1e-12)))
    log_col = np.zeros(cols)
    u, v = np.zeros(rows + 1), np.zeros(cols)
    for _ in range(iterations):
        u = log_row - logsumexp(kernel + v[None, :], axis=1)
        v = log_col - logsumexp(kernel + u[:, None], axis=0)
    return np.exp(kernel + u[:, None] + v[None, :])[:rows]


def round_plan(plan: np.ndarray) -> np.ndarray:
    """A one-to-one row -> column assignment from the plan's largest entries first (rows <= cols)."""
    assignment = np.full(plan.shape[0], -1, dtype=np.int64)
    taken = np.zeros(plan.shape[1], dtype=bool)
    for flat in np.argsort(-plan, axis=None, kind="stable"):
        row, col = divmod(int(flat), plan.shape[1])
        if assignment[row] < 0 and not taken[col]:
            assignment[row], taken[col] = col, True
    return assignment


def sinkhorn_reassign(codes: np.ndarray, costs: np.ndarray, size: int) -> tuple[np.ndarray, int]:
    """Codes `[n, m]` with unique rows, and how many items moved. `costs[i, c]`: the squared
    distance of item i to code c of the last level (`size` codes)."""
    codes = np.array(codes, dtype=np.int64, copy=True)
    _, group = np.unique(codes[:, :-1], axis=0, return_inverse=True)
    group = group.reshape(-1)
    moved = 0
    for members in _groups_with_collisions(codes, group):
        last = codes[members, -1]
        movers = []
        for code in np.unique(last):
            holders = members[last == code]
            keep = holders[np.argmin(costs[holders, code])]
            movers += [item for item in holders if item != keep]
        free = np.setdiff1d(np.arange(size), last)
        if len(movers) > len(free):
            raise SuiteError(
                f"collisions: sinkhorn: {len(members)} items share their first {codes.shape[1] - 1} codes, "
                f"more than the {size} codes of the last level; use the dedup position (collisions: dedup)"
            )
        movers = np.asarray(movers)
        assignment = round_plan(sinkhorn_plan(costs[movers][:, free]))
        codes[movers, -1] = free[assignment]
        moved += len(movers)
    return codes, moved


def _groups_with_collisions(codes: np.ndarray, group: np.ndarray) -> list[np.ndarray]:
    """The items of each prefix group in which two items share their last code too."""
    _, first, counts = np.unique(codes, axis=0, return_index=True, return_counts=True)
    colliding = np.unique(group[first[counts > 1]])
    return [np.flatnonzero(group == g) for g in colliding]
