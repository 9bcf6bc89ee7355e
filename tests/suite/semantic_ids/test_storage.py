"""A trial's kept semantic IDs: read back exactly, and refused where they are not the asked tokenizer's."""

import numpy as np
import pytest

from suite.errors import SuiteError
from suite.semantic_ids.assembly import make_unique
from suite.semantic_ids.storage import load_semantic_ids, save_semantic_ids

TOKENIZER = {"name": "rq-kmeans", "levels": 2, "codebook_size": 4}


def ids():
    return make_unique(np.array([[0, 1], [0, 1], [3, 2]]), (4, 4))


def test_kept_ids_read_back_exactly(tmp_path):
    path = tmp_path / "semantic_ids.npz"
    save_semantic_ids(path, ids(), TOKENIZER)
    kept = load_semantic_ids(path, dict(reversed(list(TOKENIZER.items()))))  # key order does not matter
    assert np.array_equal(kept.codes, [[0, 1, 0], [0, 1, 1], [3, 2, 0]])
    assert kept.codes.dtype == np.int64
    assert (kept.codebook_sizes, kept.dedup, kept.stats) == (ids().codebook_sizes, True, ids().stats)


def test_another_tokenizers_ids_are_refused(tmp_path):
    path = tmp_path / "semantic_ids.npz"
    save_semantic_ids(path, ids(), TOKENIZER)
    with pytest.raises(SuiteError, match=r"semantic_ids.npz: holds the semantic IDs of tokenizer .*levels.: 2.*not of"):
        load_semantic_ids(path, {**TOKENIZER, "levels": 3})


def test_an_unreadable_file_gets_one_line(tmp_path):
    path = tmp_path / "semantic_ids.npz"
    path.write_bytes(b"cut short")
    with pytest.raises(SuiteError, match=r"semantic_ids.npz: not readable semantic IDs"):
        load_semantic_ids(path, TOKENIZER)
