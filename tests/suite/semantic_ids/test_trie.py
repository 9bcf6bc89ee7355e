import numpy as np
import pytest
import torch

from suite.semantic_ids.trie import PrefixTrie
from suite.semantic_ids.vocabulary import SidVocabulary

CODES = np.array([[0, 1, 0], [0, 2, 0], [1, 1, 0], [0, 1, 1]])
SIZES = (2, 3, 2)


def test_children_follow_the_catalog():
    trie = PrefixTrie(CODES, SIZES)
    root = torch.zeros(1, dtype=torch.long)
    assert (trie.next(root, 0) >= 0).tolist() == [[True, True]]
    prefix_0 = trie.next(root, 0)[:, 0]
    assert (trie.next(prefix_0, 1) >= 0).tolist() == [[False, True, True]]
    prefix_01 = trie.next(prefix_0, 1)[:, 1]
    assert (trie.next(prefix_01, 2) >= 0).tolist() == [[True, True]]
    assert (trie.next(torch.tensor([-1]), 2) == -1).all()


def test_items_of_full_sids():
    trie = PrefixTrie(CODES, SIZES)
    assert trie.items(torch.from_numpy(CODES)).tolist() == [0, 1, 2, 3]
    assert trie.items(torch.tensor([[1, 2, 0], [1, 1, 1], [0, 0, 0]])).tolist() == [-1, -1, -1]


def test_duplicate_sids_are_rejected():
    with pytest.raises(ValueError, match="not unique"):
        PrefixTrie(np.array([[0, 1], [0, 1]]), (2, 2))


def test_sparse_levels_answer_as_the_dense_tables_do():
    rng = np.random.default_rng(0)
    sizes = (4, 5, 3, 6)
    codes = np.unique(np.stack([rng.integers(0, size, 300) for size in sizes], axis=1), axis=0)
    dense, sparse = PrefixTrie(codes, sizes), PrefixTrie(codes, sizes, dense_entries=0)
    assert all(level.keys is not None for level in sparse.levels)
    prefix = torch.zeros(1, dtype=torch.long)
    for level in range(len(sizes)):
        children = dense.next(prefix, level)
        assert torch.equal(children, sparse.next(prefix, level)) and children.dtype == torch.long
        prefix = torch.cat([children.flatten(), torch.tensor([-1])])  # every node of this depth, and an invalid one
    probes = torch.from_numpy(np.stack([rng.integers(0, size, 200) for size in sizes], axis=1))
    assert torch.equal(dense.items(probes), sparse.items(probes))
    assert sparse.items(torch.from_numpy(codes)).tolist() == list(range(len(codes)))


def test_vocabulary_offsets_and_spans():
    vocab = SidVocabulary((3, 4, 2), specials=("pad", "bos"))
    assert vocab.size == 2 + 9 and vocab["bos"] == 1
    assert vocab.tokens(np.array([[0, 0, 0], [2, 3, 1]])).tolist() == [[2, 5, 9], [4, 8, 10]]
    assert vocab.span(1) == slice(5, 9)


def test_rank_keeps_the_best_copy_of_an_item_and_reports_invalid_beams():
    trie = PrefixTrie(CODES, SIZES)
    codes = torch.tensor([[[0, 1, 1], [1, 2, 0], [0, 1, 1], [0, 2, 0]]])
    scores = torch.tensor([[-1.0, -2.0, -3.0, -4.0]])
    items, best, invalid = trie.rank(codes, scores, 3)
    assert items.tolist() == [[3, 1, -1]]
    assert best[0, :2].tolist() == [-1.0, -4.0]
    assert invalid == pytest.approx(0.25)


def test_beams_that_found_nothing_are_not_counted_as_invalid():
    trie = PrefixTrie(CODES, SIZES)
    codes = torch.tensor([[[0, 1, 1], [0, 0, 0]]])
    scores = torch.tensor([[-1.0, float("-inf")]])
    items, _, invalid = trie.rank(codes, scores, 2)
    assert items.tolist() == [[3, -1]] and invalid == 0.0
