"""Each mask against a hand-written matrix: 3 items x 2 tokens (tokens a1 a2 b1 b2 c1 c2)."""

import pytest
import torch

from methods.diffusion.masks import attention_mask, blockwise_mask

X, o = True, False
EXPECTED = {
    "bidirectional": [[X] * 6] * 6,
    "causal": [
        [X, o, o, o, o, o],
        [X, X, o, o, o, o],
        [X, X, X, o, o, o],
        [X, X, X, X, o, o],
        [X, X, X, X, X, o],
        [X, X, X, X, X, X],
    ],
    "inter-item-causal": [
        [X, X, o, o, o, o],
        [X, X, o, o, o, o],
        [X, X, X, X, o, o],
        [X, X, X, X, o, o],
        [X, X, X, X, X, X],
        [X, X, X, X, X, X],
    ],
    "intra-item-causal": [
        [X, o, X, X, X, X],
        [X, X, X, X, X, X],
        [X, X, X, o, X, X],
        [X, X, X, X, X, X],
        [X, X, X, X, X, o],
        [X, X, X, X, X, X],
    ],
}


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_mask_matches_its_definition(kind):
    assert attention_mask(kind, 3, 2).tolist() == EXPECTED[kind]


def test_masks_are_built_once_per_shape():
    assert attention_mask("causal", 4, 3) is attention_mask("causal", 4, 3)
    assert attention_mask("causal", 4, 3).dtype == torch.bool


def test_unknown_mask():
    with pytest.raises(ValueError, match="unknown attention mask 'sideways'"):
        attention_mask("sideways", 2, 2)


def test_blockwise_mask_matches_its_definition():
    # [clean a1 a2 b1 b2 | noisy a1 a2 b1 b2]: clean is block-causal; noisy sees earlier clean items
    # and its own noisy item; clean never sees noisy
    expected = [
        [X, X, o, o, o, o, o, o],
        [X, X, o, o, o, o, o, o],
        [X, X, X, X, o, o, o, o],
        [X, X, X, X, o, o, o, o],
        [o, o, o, o, X, X, o, o],
        [o, o, o, o, X, X, o, o],
        [X, X, o, o, o, o, X, X],
        [X, X, o, o, o, o, X, X],
    ]
    assert blockwise_mask(2, 2).tolist() == expected
