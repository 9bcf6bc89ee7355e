"""Diffusion decoding with a fixed predictor on a tiny vocabulary (m = 3, codebooks of 4)."""

import itertools

import numpy as np
import pytest
import torch

from methods.diffusion.decoding import ORDERS, diffusion_beam_search, step_schedule
from suite.semantic_ids.valid_codes import CatalogScan

M, C, USERS = 3, 4, 2


class FixedPredictor:
    """Deterministic log-probabilities that depend on the user and on every fixed position."""

    def __init__(self, seed=0):
        generator = torch.Generator().manual_seed(seed)
        self.table = torch.randn(USERS, (C + 1) ** M, M, C, generator=generator) * 2
        self.calls = []

    def __call__(self, codes, users):
        self.calls.append(len(codes))
        state = ((codes + 1) * torch.tensor([(C + 1) ** i for i in range(M)])).sum(-1)
        return self.table[users, state].log_softmax(-1)


def next_position(lp, codes, order, user, last=None):
    """The free position the order rule fixes next, written out from its definition; `last` is
    picked only once it is the one free position."""
    free = [j for j in range(M) if codes[j] < 0]
    if last is not None and free != [last]:
        codes = codes.clone()
        codes[last] = 0  # out of the running while another position is free
    if order == "confidence":
        priority = lp.max(-1).values
    elif order == "margin":
        top = lp.exp().topk(2, -1).values
        priority = top[:, 0] - top[:, 1]
    elif order == "left-to-right":
        priority = -torch.arange(M, dtype=torch.float)
    elif order == "right-to-left":
        priority = torch.arange(M, dtype=torch.float)
    else:
        priority = random_ranks()[user].clone()
    return int(priority.masked_fill(codes >= 0, float("-inf")).argmax())


def path_score(predictor, user, sid, order, last=None):
    """The log-probability the decoder gives `sid`, one position per step, by the order rule."""
    codes = torch.full((1, M), -1)
    total = 0.0
    for _ in range(M):
        lp = predictor(codes, torch.tensor([user]))[0]
        position = next_position(lp, codes[0], order, user, last)
        total += float(lp[position, sid[position]])
        codes[0, position] = sid[position]
    return total


def random_ranks(seed=0):
    return torch.rand(USERS, M, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("last", [None, M - 1, 0])
@pytest.mark.parametrize("order", ORDERS)
def test_full_beam_equals_brute_force_for_every_order(order, last):
    predictor = FixedPredictor()
    all_sids = list(itertools.product(range(C), repeat=M))
    codes, scores = diffusion_beam_search(predictor, USERS, M, beam=len(all_sids), order=order, steps=M, last=last)
    k = 8
    for user in range(USERS):
        brute = sorted(((path_score(predictor, user, s, order, last), s) for s in all_sids), reverse=True)
        assert [tuple(c) for c in codes[user, :k].tolist()] == [s for _, s in brute[:k]]
        np.testing.assert_allclose(scores[user, :k].numpy(), [v for v, _ in brute[:k]], rtol=1e-5)


def test_fewer_steps_fix_several_positions_from_one_pass():
    predictor = FixedPredictor()
    codes, scores = diffusion_beam_search(predictor, USERS, M, beam=5, order="confidence", steps=2)
    assert len(predictor.calls) == 2  # T passes, not m
    assert (codes >= 0).all()
    # one pass fixing two positions scores them both from that pass: a product of conditionals
    single = FixedPredictor()
    one_step_codes, one_step_scores = diffusion_beam_search(single, USERS, M, beam=64, order="left-to-right", steps=1)
    lp = single(torch.full((1, M), -1), torch.tensor([0]))[0]
    best = lp.max(-1)
    assert one_step_codes[0, 0].tolist() == best.indices.tolist()
    assert float(one_step_scores[0, 0]) == pytest.approx(float(best.values.sum()), rel=1e-5)


def test_schedule_sums_to_the_free_positions():
    assert step_schedule(4, 4) == [1, 1, 1, 1]
    assert step_schedule(4, 3) == [2, 1, 1]
    assert step_schedule(4, 1) == [4]
    with pytest.raises(ValueError, match="steps must lie in 1..4"):
        step_schedule(4, 5)


@pytest.mark.parametrize("order", ORDERS)
def test_beam_one_is_greedy(order):
    predictor = FixedPredictor(seed=2)
    codes, _ = diffusion_beam_search(predictor, USERS, M, beam=1, order=order, steps=M)
    for user in range(USERS):
        state = torch.full((1, M), -1)
        for _ in range(M):
            lp = predictor(state, torch.tensor([user]))[0]
            position = next_position(lp, state[0], order, user)
            state[0, position] = int(lp[position].argmax())
        assert codes[user, 0].tolist() == state[0].tolist()


def test_constraint_keeps_only_catalog_items():
    catalog = torch.tensor([[0, 1, 2], [3, 3, 3], [1, 0, 0], [2, 2, 1], [0, 0, 3]])
    codes, scores = diffusion_beam_search(FixedPredictor(), USERS, M, beam=4, order="margin", steps=M, catalog=catalog)
    rows = {tuple(r) for r in catalog.tolist()}
    assert all(tuple(c) in rows for c in codes.flatten(0, 1).tolist())
    assert torch.isfinite(scores).all()


def test_conditional_mode_never_changes_given_positions():
    given = torch.tensor([[2, -1, -1], [-1, -1, 0]])
    with pytest.raises(ValueError, match="same number of positions free"):
        diffusion_beam_search(
            FixedPredictor(),
            USERS,
            M,
            beam=3,
            order="confidence",
            steps=1,
            given=torch.tensor([[2, -1, -1], [-1, 1, 0]]),
        )
    codes, _ = diffusion_beam_search(FixedPredictor(), USERS, M, beam=6, order="confidence", steps=2, given=given)
    assert (codes[0, :, 0] == 2).all() and (codes[1, :, 2] == 0).all()
    assert (codes >= 0).all()


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("steps", [1, 2, 4])
def test_constrained_decoding_with_the_index_is_the_scans(order, steps):
    generator = torch.Generator().manual_seed(steps)
    sizes, users = (6, 6, 5, 3), 16
    catalog = torch.stack([torch.randint(0, s, (120,), generator=generator) for s in sizes], 1).unique(dim=0)
    table = torch.randn(users, 4, 6, generator=generator)

    def score(codes, rows):  # depends on the user and on what is fixed, like a real predictor
        shift = (codes.clamp(min=0).sum(-1, keepdim=True) % 3).float()[..., None]
        logits = (table[rows] + shift).masked_fill(torch.arange(6) >= torch.tensor(sizes)[:, None], float("-inf"))
        return logits.log_softmax(-1)

    ours = diffusion_beam_search(score, users, 4, beam=5, order=order, steps=steps, catalog=catalog)
    theirs = diffusion_beam_search(score, users, 4, beam=5, order=order, steps=steps, catalog=CatalogScan(catalog))
    assert torch.equal(ours[0], theirs[0]) and torch.equal(ours[1], theirs[1])


class PositionRecorder(FixedPredictor):
    """Records which positions were still masked at each pass."""

    def __init__(self, seed=0):
        super().__init__(seed)
        self.masked = []

    def __call__(self, codes, users):
        self.masked.append((codes < 0).any(0).tolist())
        return super().__call__(codes, users)


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("steps", [1, 2, 3])
def test_the_last_position_is_fixed_after_every_other(order, steps):
    """`dedup: last`: while any code is free, the dedup position stays masked."""
    recorder = PositionRecorder(seed=3)
    codes, _ = diffusion_beam_search(recorder, USERS, M, beam=4, order=order, steps=steps, last=M - 1)
    assert (codes >= 0).all()
    for masked in recorder.masked:
        assert masked[M - 1]  # masked at every pass: fixed only after (or with) the others
    if steps == M:  # one position a pass: the others are all fixed before the last pass
        assert recorder.masked[-1] == [False] * (M - 1) + [True]


def test_the_order_rule_alone_can_pick_the_dedup_position_first():
    """Why the rule exists: a near-certain dedup value goes first under `confidence`."""

    def score(codes, users):
        lp = torch.full((len(codes), M, C), -3.0)
        lp[:, M - 1, 0] = 0.0  # the dedup position is almost surely 0
        return lp.log_softmax(-1)

    recorder = []

    def recording(codes, users):
        recorder.append((codes[0] >= 0).tolist())
        return score(codes, users)

    diffusion_beam_search(recording, 1, M, beam=1, order="confidence", steps=M)
    assert recorder[1] == [False] * (M - 1) + [True]  # ordered: the dedup position was fixed first
    recorder.clear()
    diffusion_beam_search(recording, 1, M, beam=1, order="confidence", steps=M, last=M - 1)
    assert recorder[-1] == [True] * (M - 1) + [False]  # last: every code before it


def test_the_scorer_gets_each_users_beams_consecutive_and_the_users_in_order():
    """`ScoreFn`'s contract, on which the history-cached scorer relies."""
    seen = []

    def score(codes, users):
        seen.append(users.clone())
        return torch.log_softmax(torch.zeros(len(codes), M, 4), -1)

    diffusion_beam_search(score, 3, M, beam=4, order="confidence", steps=M)
    for users in seen:
        width = len(users) // 3
        assert torch.equal(users, torch.arange(3).repeat_interleave(width))
    assert [len(users) // 3 for users in seen] == [1] + [4] * (len(seen) - 1)
