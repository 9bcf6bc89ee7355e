import math

import numpy as np
import pytest

from suite.metrics import rank_metrics, target_ranks


def test_hand_computed_ranks_and_values():
    topk = np.array([[3, 1, 2], [5, 6, 7], [9, 8, 4], [1, 2, 3]])
    target = np.array([3, 7, 4, 0])
    m = rank_metrics(topk, target, ks=(1, 2, 3))
    # user 0: rank 1; user 1: rank 3; user 2: rank 3; user 3: absent
    assert m["recall@1"].tolist() == [1, 0, 0, 0]
    assert m["recall@2"].tolist() == [1, 0, 0, 0]
    assert m["recall@3"].tolist() == [1, 1, 1, 0]
    assert m["ndcg@1"].tolist() == [1, 0, 0, 0]
    assert m["ndcg@3"] == pytest.approx([1.0, 0.5, 0.5, 0.0])  # 1/log2(3+1) = 0.5


def test_ndcg_at_rank_two():
    m = rank_metrics(np.array([[4, 2]]), np.array([2]), ks=(2,))
    assert m["ndcg@2"][0] == pytest.approx(1 / math.log2(3))


def test_no_item_entries_never_match():
    topk = np.array([[-1, -1, 5]])
    assert target_ranks(topk, np.array([-1])).tolist() == [0]
    assert target_ranks(topk, np.array([5])).tolist() == [3]


def test_duplicates_count_first_occurrence_only():
    topk = np.array([[7, 7, 2]])
    assert target_ranks(topk, np.array([7])).tolist() == [1]
    assert rank_metrics(topk, np.array([2]), ks=(2, 3))["recall@2"].tolist() == [0]


def test_short_list_is_padded_with_no_item():
    m = rank_metrics(np.array([[1, 2]]), np.array([9]), ks=(10,))
    assert m["recall@10"].tolist() == [0] and m["ndcg@10"].tolist() == [0]


def test_shape_mismatch_is_rejected():
    with pytest.raises(ValueError, match="expected topk"):
        rank_metrics(np.array([1, 2]), np.array([1]))
