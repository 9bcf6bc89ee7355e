"""The mask predictor's block-diffusion pass against its definition, item by item."""

import pytest
import torch

from methods.diffusion.predictor import MaskPredictor

M, ITEMS, MASK = 2, 3, 1


def predictor(attention: str = "inter-item-causal", positions: str = "learned") -> MaskPredictor:
    torch.manual_seed(0)
    model = MaskPredictor(12, M, ITEMS, 16, 2, 8, 32, 2, 0.0, 0.0, "rms", "silu", attention, positions)
    return model.eval()


def test_blockwise_pass_equals_one_inference_pass_per_item():
    """Item i's noisy hidden states are what an inference pass gives it: the clean items before
    it, then item i noised, under the block-causal mask (later items cannot matter)."""
    model = predictor()
    clean = torch.tensor([[0, 0, 4, 5, 6, 7], [2, 3, 4, 5, 6, 7]])  # row 0: one padding item
    noisy = torch.tensor([[0, 0, MASK, 5, MASK, MASK], [2, MASK, 4, 5, MASK, 7]])
    with torch.no_grad():
        together = model.blockwise(clean, noisy)
        for item in range(ITEMS):
            span = slice(item * M, (item + 1) * M)
            alone = clean.clone()
            alone[:, span] = noisy[:, span]
            reference = model(alone)[:, span]
            torch.testing.assert_close(together[:, span], reference, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize(("attention", "positions"), [("bidirectional", "learned"), ("inter-item-causal", "rotary")])
def test_blockwise_pass_needs_block_causal_attention_and_learned_positions(attention, positions):
    tokens = torch.ones(1, ITEMS * M, dtype=torch.long)
    with pytest.raises(ValueError, match="blockwise training needs attention 'inter-item-causal'"):
        predictor(attention, positions).blockwise(tokens, tokens)
