"""Every tokenizer on small synthetic catalogs: shapes, uniqueness, determinism, semantics."""

import numpy as np
import pytest
import torch

from suite.semantic_ids.assembly import make_unique
from suite.tokenizers.base import get_tokenizer, known_tokenizers
from suite.tokenizers.mh_vqvae import MultiHeadQuantizer

# Small settings so every fit takes about a second.
FAST = {
    "rq-vae": {"epochs": 15, "codebook_size": 8, "hidden": [64, 32], "latent_dim": 8},
    "mh-vqvae": {"epochs": 15, "codebook_size": 8, "hidden": [64, 32]},
    "rq-kmeans": {"codebook_size": 8},
    "opq": {"codebook_size": 8, "iterations": 5},
    "pq": {"codebook_size": 8},
    "uiq": {"stage1_epochs": 5, "stage2_epochs": 5, "hidden": [64, 32], "levels": 9, "flow_transforms": 1},
    "random": {"codebook_size": 8},
    "item-id": {},
}


def clustered(n=400, dim=32, clusters=12, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(clusters, dim))
    labels = rng.integers(0, clusters, n)
    return (centres[labels] + 0.3 * rng.normal(size=(n, dim))).astype(np.float32)


@pytest.fixture(scope="module")
def embeddings():
    return clustered()


@pytest.fixture(scope="module")
def fitted(embeddings):
    return {name: get_tokenizer(name)(FAST[name]).fit(embeddings, seed=0) for name in known_tokenizers()}


def test_every_registered_tokenizer_is_covered():
    assert set(known_tokenizers()) == set(FAST)


@pytest.mark.parametrize("name", sorted(FAST))
def test_shapes_dtypes_and_ranges(fitted, embeddings, name):
    result = fitted[name]
    assert result.codes.dtype == np.int64
    assert result.codes.shape == (len(embeddings), len(result.codebook_sizes))
    for position, size in enumerate(result.codebook_sizes):
        column = result.codes[:, position]
        assert column.min() >= 0 and column.max() < size


@pytest.mark.parametrize("name", sorted(FAST))
def test_unique_after_dedup(fitted, name):
    ids = make_unique(fitted[name].codes, fitted[name].codebook_sizes)
    assert len(np.unique(ids.codes, axis=0)) == len(ids.codes)
    assert ids.codes[:, -1].max() < ids.codebook_sizes[-1]


@pytest.mark.parametrize("name", sorted(FAST))
def test_fixed_seed_is_deterministic(fitted, embeddings, name):
    again = get_tokenizer(name)(FAST[name]).fit(embeddings, seed=0)
    np.testing.assert_array_equal(again.codes, fitted[name].codes)


def shared_code_rate(embeddings: np.ndarray, codes: np.ndarray) -> float:
    """How often an item and its nearest neighbour share the code at each position, averaged."""
    distances = ((embeddings[:, None] - embeddings[None]) ** 2).sum(-1)
    np.fill_diagonal(distances, np.inf)
    neighbour = distances.argmin(1)
    return float((codes == codes[neighbour]).mean())


def test_random_codes_carry_no_semantic_signal(fitted, embeddings):
    chance = 1 / 8
    assert shared_code_rate(embeddings, fitted["random"].codes) == pytest.approx(chance, abs=0.05)
    assert shared_code_rate(embeddings, fitted["rq-kmeans"].codes) > 3 * chance


@pytest.mark.parametrize("name", ["rq-kmeans", "rq-vae"])
def test_residuals_shrink_level_by_level(fitted, name):
    norms = fitted[name].extras["residual_sq_norm"]
    assert len(norms) == 3
    assert all(later < earlier for earlier, later in zip(norms, norms[1:], strict=False))


def test_multi_head_quantizer_heads_are_independent():
    torch.manual_seed(0)
    quantizer = MultiHeadQuantizer(heads=4, size=16, head_dim=5)
    z = torch.randn(50, 20)
    before = quantizer.codes(z)
    changed = z.clone()
    changed[:, 10:15] = torch.randn(50, 5) * 3  # only head 2's slice
    after = quantizer.codes(changed)
    assert torch.equal(before[:, [0, 1, 3]], after[:, [0, 1, 3]])
    assert not torch.equal(before[:, 2], after[:, 2])
    # each head's code is the nearest code of its own codebook to its own slice
    for head in range(4):
        distances = torch.cdist(z[:, head * 5 : (head + 1) * 5], quantizer.codebooks[head])
        assert torch.equal(before[:, head], distances.argmin(1))


def test_uiq_flow_raises_codebook_utilization_on_skewed_input():
    rng = np.random.default_rng(0)
    skewed = rng.lognormal(mean=0.0, sigma=0.6, size=(1500, 8)).astype(np.float32)
    params = {
        "dims": 2,
        "levels": 41,
        "hidden": [32, 16],
        "stage1_epochs": 10,
        "stage2_epochs": 30,
        "flow_transforms": 2,
        "batch_size": 256,
    }

    def utilization(flow: bool) -> float:
        result = get_tokenizer("uiq")({**params, "flow": flow}).fit(skewed, seed=0)
        return float(np.mean([len(np.unique(c)) / 41 for c in result.codes.T]))

    with_flow, without_flow = utilization(True), utilization(False)
    assert with_flow > 0.8
    assert with_flow > without_flow + 0.2, (with_flow, without_flow)


def test_unit_variance_centres_and_scales_by_one_number():
    from suite.tokenizers.mh_vqvae import unit_variance

    x = np.random.default_rng(0).normal(loc=3.0, scale=[0.01, 0.05, 0.2], size=(500, 3))
    scaled, scale = unit_variance(x)
    assert np.allclose(scaled.mean(0), 0, atol=1e-6)
    assert np.isclose((scaled**2).mean(), 1.0, atol=1e-5)
    # one factor for every dimension: distances keep their ratios
    centred = x - x.mean(0)
    assert np.allclose(scaled * scale, centred, atol=1e-5)
