"""Co-occurrence vectors: windowed pair counts, positive PMI and its factorization."""

import numpy as np
import pytest

from suite.cooccurrence import cooccurrence_counts, cooccurrence_vectors, factorize, positive_pmi
from suite.data.prepare import PreparedData


def test_pairs_within_the_window_are_counted_both_ways():
    counts = cooccurrence_counts([np.array([0, 1, 2, 0])], n_items=4, window=2).toarray()
    # pairs one apart: (0,1) (1,2) (2,0); two apart: (0,2) (1,0)
    expected = np.zeros((4, 4))
    for a, b in [(0, 1), (1, 2), (2, 0), (0, 2), (1, 0)]:
        expected[a, b] += 1
        expected[b, a] += 1
    np.testing.assert_array_equal(counts, expected)
    assert counts[3].sum() == 0  # item 3 never occurs


def test_window_one_counts_neighbours_only():
    counts = cooccurrence_counts([np.array([0, 1, 2]), np.array([2])], n_items=3, window=1).toarray()
    np.testing.assert_array_equal(counts, [[0, 1, 0], [1, 0, 1], [0, 1, 0]])


def test_positive_pmi_by_hand():
    counts = np.array([[0, 2, 1], [2, 0, 0], [1, 0, 0]], dtype=float)
    from scipy import sparse

    ppmi = positive_pmi(sparse.csr_matrix(counts)).toarray()
    # total 6; marginals 3, 2, 1: pmi(0,1) = log(2*6 / (3*2)) = log 2, pmi(0,2) = log(6 / 3) = log 2
    expected = np.array([[0, np.log(2), np.log(2)], [np.log(2), 0, 0], [np.log(2), 0, 0]])
    np.testing.assert_allclose(ppmi, expected)
    counts[1, 2] = counts[2, 1] = 0.5  # log(0.5 * 7 / (3.5 * 2.5)) < 0: dropped
    assert positive_pmi(sparse.csr_matrix(counts)).toarray()[1, 2] == 0


def test_factorization_reproduces_a_low_rank_symmetric_matrix():
    from scipy import sparse

    rng = np.random.default_rng(0)
    basis = rng.normal(size=(12, 3))
    matrix = basis @ np.diag([5.0, 3.0, 1.0]) @ basis.T
    matrix = matrix @ matrix  # positive semi-definite, rank 3
    vectors = factorize(sparse.csr_matrix(matrix), dim=4)
    assert vectors.shape == (12, 4)
    np.testing.assert_allclose(vectors @ vectors.T, matrix, rtol=1e-4, atol=1e-3)


def test_a_large_catalogs_randomized_solver_finds_the_same_factorization(monkeypatch):
    """Above `RANDOMIZED_ABOVE` items the randomized SVD replaces ARPACK; on a matrix with a
    spectral gap both give the same vectors up to each column's sign."""
    from scipy import sparse

    import suite.cooccurrence as cooccurrence

    rng = np.random.default_rng(1)
    basis, _ = np.linalg.qr(rng.normal(size=(300, 5)))
    noise = rng.normal(scale=0.01, size=(300, 300))
    matrix = sparse.csr_matrix(basis @ np.diag([9.0, 7.0, 5.0, 4.0, 3.0]) @ basis.T + (noise + noise.T) / 2)
    exact = factorize(matrix, dim=5)
    monkeypatch.setattr(cooccurrence, "RANDOMIZED_ABOVE", 299)
    randomized = factorize(matrix, dim=5)
    signs = np.sign((exact * randomized).sum(axis=0))
    np.testing.assert_allclose(randomized * signs, exact, atol=1e-6)


def test_vectors_come_from_training_items_only(isolated_cache):
    # users' last two items are the validation and test targets: item 4 occurs only there
    data = PreparedData(
        name="tiny",
        item_tokens=np.array(["a", "b", "c", "d", "e"]),
        user_tokens=np.array(["u", "v"]),
        sequences=[np.array([0, 1, 2, 4, 4]), np.array([1, 2, 3, 0, 4])],
    )
    vectors = cooccurrence_vectors(data, dim=2, window=2)
    assert vectors.shape == (5, 2)
    assert not vectors[4].any()
    assert vectors[1].any() and vectors[2].any()
    np.testing.assert_array_equal(cooccurrence_vectors(data, dim=2, window=2), vectors)


@pytest.mark.parametrize("sequences", [[np.array([0])], []])
def test_no_pairs_give_zero_vectors(sequences):
    assert not factorize(positive_pmi(cooccurrence_counts(sequences, 3, 2)), dim=2).any()
