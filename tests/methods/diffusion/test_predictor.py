"""The mask predictor's block-diffusion pass against its definition, item by item."""

import pytest
import torch

from methods.diffusion.predictor import MaskPredictor, PredictorConfig

M, ITEMS, MASK = 2, 3, 1
HISTORY = torch.tensor([[0, 0, 4, 5], [2, 3, 4, 5], [0, 0, 0, 0]])  # padding: one item, every item
CANDIDATES = torch.tensor(
    [
        [[MASK, MASK], [6, MASK], [MASK, 7]],
        [[8, 9], [MASK, 9], [MASK, MASK]],
        [[6, 7], [MASK, MASK], [8, MASK]],
    ]
)  # each user's 3 candidate targets, as decoding scores them: [users, candidates, m]


def predictor(attention: str = "inter-item-causal", positions: str = "learned", layers: int = 2) -> MaskPredictor:
    torch.manual_seed(0)
    shape = PredictorConfig(
        vocab_size=12,
        m=M,
        items=ITEMS,
        d_model=16,
        heads=2,
        d_kv=8,
        d_ff=32,
        layers=layers,
        dropout=0.0,
        norm="rms",
        activation="silu",
        attention=attention,
        positions=positions,
    )
    model = MaskPredictor(shape)
    return model.eval()


def whole_pass_per_candidate(model: MaskPredictor) -> torch.Tensor:
    """`[users * candidates, m, d]`: each candidate's states from one pass over its user's
    history followed by that candidate alone."""
    with torch.no_grad():
        rows = torch.arange(len(HISTORY)).repeat_interleave(CANDIDATES.shape[1])
        return model(torch.cat([HISTORY[rows], CANDIDATES.flatten(0, 1)], dim=1))[:, -M:]


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


@pytest.mark.parametrize("positions", ["learned", "rotary"])
@pytest.mark.parametrize("attention", ["causal", "inter-item-causal"])
def test_target_states_from_the_history_cache_equal_the_whole_sequence_pass(attention, positions):
    """Decoding's shortcut: each candidate target's states after its user's cached history keys
    and values (a user's candidates run together) are the last m states of one pass over that
    history and that candidate alone, padding included."""
    model = predictor(attention, positions)
    with torch.no_grad():
        cached = model.target_states(model.history_cache(HISTORY), CANDIDATES)
    assert cached.shape == (3, 3, M, 16)
    torch.testing.assert_close(cached.flatten(0, 1), whole_pass_per_candidate(model), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize(
    ("attention", "caches"),
    [("causal", True), ("inter-item-causal", True), ("bidirectional", False), ("intra-item-causal", False)],
)
def test_history_is_cached_only_where_history_tokens_never_see_the_target(attention, caches):
    model = predictor(attention)
    assert model.caches_history is caches
    if not caches:
        with pytest.raises(ValueError, match="lets history tokens see the target"):
            model.history_cache(torch.ones(1, (ITEMS - 1) * M, dtype=torch.long))


@pytest.mark.parametrize("layers", [1, 2, 3])
@pytest.mark.parametrize("positions", ["learned", "rotary"])
@pytest.mark.parametrize("attention", ["bidirectional", "intra-item-causal", "causal", "inter-item-causal"])
def test_candidate_states_sharing_the_history_equal_a_whole_pass_per_candidate(attention, positions, layers):
    """Decoding without a cache, under any mask: the history's first-block work done once per
    user and each candidate's merged in gives every candidate the states of its own whole pass."""
    model = predictor(attention, positions, layers)
    with torch.no_grad():
        shared = model.candidate_states(HISTORY, CANDIDATES)
    assert shared.shape == (3, 3, M, 16)
    torch.testing.assert_close(shared.flatten(0, 1), whole_pass_per_candidate(model), atol=1e-5, rtol=1e-5)
