"""Sinkhorn collision reassignment on tiny catalogs, against brute-force assignment."""

import itertools

import numpy as np
import pytest

from suite.errors import SuiteError
from suite.semantic_ids.collisions import round_plan, sinkhorn_plan, sinkhorn_reassign


def brute_force_cost(costs: np.ndarray) -> float:
    """The least total cost of a one-to-one assignment of the rows to columns, by enumeration."""
    rows, cols = costs.shape
    return min(sum(costs[r, c] for r, c in enumerate(pick)) for pick in itertools.permutations(range(cols), rows))


@pytest.mark.parametrize("seed", range(12))
def test_the_rounded_plan_is_the_best_one_to_one_assignment(seed):
    rng = np.random.default_rng(seed)
    rows = int(rng.integers(1, 5))
    costs = rng.random((rows, int(rng.integers(rows, 7))))
    assignment = round_plan(sinkhorn_plan(costs))
    assert len(set(assignment.tolist())) == rows and (assignment >= 0).all()
    assert costs[np.arange(rows), assignment].sum() == pytest.approx(brute_force_cost(costs))


def test_the_plan_has_the_asked_marginals():
    plan = sinkhorn_plan(np.random.default_rng(0).random((3, 5)), epsilon=0.1)  # converged at this width
    np.testing.assert_allclose(plan.sum(1), 1.0, rtol=1e-6)
    assert (plan.sum(0) <= 1 + 1e-6).all() and plan.sum() == pytest.approx(3.0, rel=1e-6)


def test_colliding_items_move_to_free_last_codes_and_nothing_else_moves():
    codes = np.array([[0, 1, 2], [0, 1, 2], [0, 1, 2], [0, 1, 3], [1, 1, 2], [2, 0, 0]])
    costs = np.random.default_rng(1).random((6, 4))
    costs[0, 2] = 0.0  # item 0 is the nearest holder of code 2: it stays
    reassigned, moved = sinkhorn_reassign(codes, costs, size=4)
    assert moved == 2
    assert len(np.unique(reassigned, axis=0)) == len(codes)  # every item's codes are its own
    np.testing.assert_array_equal(reassigned[:, :-1], codes[:, :-1])  # only the last level changes
    np.testing.assert_array_equal(reassigned[[0, 3, 4, 5]], codes[[0, 3, 4, 5]])  # no collision, no move
    assert set(reassigned[[1, 2], -1].tolist()) <= {0, 1}  # the group's free codes (2 and 3 are held)
    # the two movers take the cheaper way onto codes 0 and 1, as brute force says
    chosen = costs[1, reassigned[1, -1]] + costs[2, reassigned[2, -1]]
    assert chosen == pytest.approx(brute_force_cost(costs[[1, 2]][:, [0, 1]]))


def test_a_group_larger_than_the_last_codebook_is_one_error_line():
    codes = np.array([[0, 1], [0, 1], [0, 0]])
    with pytest.raises(SuiteError, match="3 items share their first 1 codes, more than the 2 codes"):
        sinkhorn_reassign(codes, np.zeros((3, 2)), size=2)


@pytest.mark.parametrize("name", ["mh-vqvae", "rq-kmeans"])
def test_sinkhorn_sids_have_no_dedup_position_and_no_collision(name):
    from suite.tokenizers.fitting import fit_semantic_ids

    embeddings = np.random.default_rng(0).standard_normal((300, 16)).astype(np.float32)
    small = {"name": name, "codebook_size": 32}
    small |= {"heads": 2, "hidden": [32, 16], "epochs": 5} if name == "mh-vqvae" else {"levels": 2, "iterations": 5}
    dedup, _ = fit_semantic_ids(embeddings, small, seed=0)
    sinkhorn, _ = fit_semantic_ids(embeddings, {**small, "collisions": "sinkhorn"}, seed=0)
    assert dedup.dedup and dedup.length == 3 and dedup.stats["collision_rate"] > 0
    assert not sinkhorn.dedup and sinkhorn.length == 2 and sinkhorn.dedup_position is None
    assert len(np.unique(sinkhorn.codes, axis=0)) == 300
    assert sinkhorn.stats["collision_rate_before_reassignment"] == pytest.approx(dedup.stats["collision_rate"])
    assert sinkhorn.stats["reassigned_items"] > 0
