import math

import pytest
import torch

from methods.diffusion.noise import corrupt, corrupt_items, masked_diffusion_loss, sample_rates


def test_default_schedule_is_in_zero_one():
    rates = sample_rates(10_000, torch.Generator().manual_seed(0))
    assert rates.min() > 0 and rates.max() <= 1
    assert rates.mean() == pytest.approx(0.5, abs=0.02)


def test_clipped_schedule_stays_inside_its_bounds():
    rates = sample_rates(10_000, torch.Generator().manual_seed(0), low=0.5, width=0.5)
    assert rates.min() >= 0.5 and rates.max() <= 1.0
    assert rates.mean() == pytest.approx(0.75, abs=0.01)


def test_only_maskable_tokens_are_masked_at_about_the_rate():
    tokens = torch.arange(2, 2002).repeat(2, 1)
    maskable = torch.zeros(2, 2000, dtype=torch.bool)
    maskable[:, 1000:] = True
    noisy, masked = corrupt(tokens, maskable, torch.tensor([0.3, 0.9]), 1, torch.Generator().manual_seed(0))
    assert not masked[:, :1000].any()
    assert masked[0].float().sum() / 1000 == pytest.approx(0.3, abs=0.05)
    assert masked[1].float().sum() / 1000 == pytest.approx(0.9, abs=0.05)
    assert (noisy[masked] == 1).all() and torch.equal(noisy[~masked], tokens[~masked])


def test_loss_is_one_over_t_weighted_ce_on_masked_tokens_per_length():
    # example 0: two masked tokens, t = 0.5, 4 maskable; example 1: one masked token, t = 0.25, 2 maskable
    logits = torch.log(torch.tensor([[0.5, 0.5], [0.25, 0.75], [0.9, 0.1]]))
    targets = torch.tensor([0, 1, 1])
    rows = torch.tensor([0, 0, 1])
    maskable = torch.tensor([[True] * 4, [True, True, False, False]])
    loss = masked_diffusion_loss(logits, targets, rows, torch.tensor([0.5, 0.25]), maskable)
    first = (-math.log(0.5) - math.log(0.75)) / 0.5 / 4
    second = -math.log(0.1) / 0.25 / 2
    assert float(loss) == pytest.approx((first + second) / 2)


def test_examples_without_maskable_tokens_do_not_dilute_the_loss():
    # a padding-only block (row 1) adds no term and does not count in the average
    logits = torch.log(torch.tensor([[0.5, 0.5]]))
    maskable = torch.tensor([[True, True], [False, False]])
    loss = masked_diffusion_loss(logits, torch.tensor([0]), torch.tensor([0]), torch.tensor([0.5, 0.7]), maskable)
    assert float(loss) == pytest.approx(-math.log(0.5) / 0.5 / 2)


def test_item_rates_mask_exactly_r_tokens_for_the_next_item():
    blocks = torch.arange(2, 2 + 4000 * 4).reshape(4000, 4)
    maskable = torch.ones_like(blocks, dtype=torch.bool)
    noisy, masked, rates = corrupt_items(blocks, maskable, 1, torch.Generator().manual_seed(0), exact=True)
    assert torch.equal(masked.sum(1), (rates * 4).round().long())  # exactly r of the m = 4 tokens
    assert set((rates * 4).round().long().tolist()) == {1, 2, 3, 4}
    assert (noisy[masked] == 1).all() and torch.equal(noisy[~masked], blocks[~masked])
    positions = masked[rates == 0.25].float().mean(0)  # r = 1: the masked position is uniform
    assert torch.allclose(positions, torch.full((4,), 0.25), atol=0.05)


def test_item_rates_for_the_history_draw_r_in_zero_to_m_per_item():
    blocks = torch.full((4000, 4), 5)
    maskable = torch.ones_like(blocks, dtype=torch.bool)
    maskable[:, 3] = False  # e.g. padding: never masked
    _, masked, rates = corrupt_items(blocks, maskable, 1, torch.Generator().manual_seed(0), exact=False)
    assert set((rates * 4).round().long().tolist()) == {0, 1, 2, 3, 4}
    assert not masked[:, 3].any() and not masked[rates == 0].any() and masked[rates == 1, :3].all()
    assert masked[:, :3].float().mean() == pytest.approx(0.5, abs=0.03)  # E[r/m] = 1/2
