import math

import pytest
import torch

from methods.diffusion.noise import corrupt, masked_diffusion_loss, sample_rates


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
