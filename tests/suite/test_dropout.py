import math

import pytest
import torch

from suite.dropout import Dropout, keep_mask


@pytest.mark.parametrize("drop", [0.1, 0.47])
def test_each_of_the_four_words_of_a_draw_keeps_at_the_asked_rate(drop):
    torch.manual_seed(0)
    count = 1 << 22
    mask = keep_mask(torch.Size([count]), drop).view(-1, 4)  # column j: lane j of every 64-bit draw
    expected = 1 - round(drop * 65536) / 65536
    tolerance = 5 * math.sqrt(expected * (1 - expected) / mask.shape[0])
    for lane in range(4):
        assert abs(mask[:, lane].float().mean().item() - expected) < tolerance


def test_neighbouring_words_are_independent():
    torch.manual_seed(1)
    mask = keep_mask(torch.Size([1 << 22]), 0.5).float()
    both = (mask[:-1] * mask[1:]).mean().item()
    assert abs(both - 0.25) < 5 * math.sqrt(0.25 * 0.75 / mask.numel())


def test_training_zeroes_and_rescales_and_the_gradient_follows_the_mask():
    torch.manual_seed(2)
    layer = Dropout(0.25).train()
    x = torch.rand(64, 33, 7) + 1.0  # never zero, so a zero output is a dropped element
    x.requires_grad_(True)
    y = layer(x)
    kept = y != 0
    assert torch.allclose(y[kept], x[kept] / 0.75)
    y.sum().backward()
    assert torch.equal(x.grad, kept.float() / 0.75)
    assert abs(kept.float().mean().item() - 0.75) < 0.02


def test_the_seed_fixes_the_mask():
    x = torch.ones(1000)
    layer = Dropout(0.3).train()
    torch.manual_seed(3)
    first = layer(x)
    torch.manual_seed(3)
    assert torch.equal(layer(x), first)


def test_evaluation_and_zero_probability_pass_the_input_through():
    x = torch.randn(10, 4)
    assert Dropout(0.5).eval()(x) is x
    assert Dropout(0.0).train()(x) is x


def test_bf16_inputs_keep_their_dtype():
    y = Dropout(0.2).train()(torch.ones(100, dtype=torch.bfloat16))
    assert y.dtype == torch.bfloat16
    assert set(y.unique().tolist()) <= {0.0, 1.25}


@pytest.mark.parametrize("drop", [-0.1, 1.0])
def test_a_probability_outside_zero_to_one_is_refused(drop):
    with pytest.raises(ValueError, match="dropout probability must be in \\[0, 1\\)"):
        Dropout(drop)
