import math

import numpy as np
import pytest

from suite.metrics import (
    AverageRecommendedPopularity,
    Coverage,
    Mrr,
    Ndcg,
    Novelty,
    RankedLists,
    Recall,
    metric_label,
    parse_metric,
    rank_metrics,
    target_ranks,
)


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


def random_lists(seed: int = 0, users: int = 60, catalog: int = 30, length: int = 20):
    """Ranked lists without repeats, some shorter than `length` (padded with -1), and targets
    that the lists hit at every depth or miss."""
    rng = np.random.default_rng(seed)
    items = np.full((users, length), -1)
    for user in range(users):
        depth = rng.integers(0, length + 1)
        items[user, :depth] = rng.choice(catalog, size=depth, replace=False)
    targets = rng.integers(0, catalog, size=users)
    return items, targets


@pytest.mark.parametrize("k", [1, 3, 5, 10, 20])
def test_rank_metrics_match_trec_eval(k):
    pytrec_eval = pytest.importorskip("pytrec_eval")
    items, targets = random_lists()
    lists = RankedLists(ranks=target_ranks(items, targets), items=items)
    qrels = {f"u{u}": {f"i{t}": 1} for u, t in enumerate(targets)}
    run = {
        f"u{u}": {f"i{item}": float(k - position) for position, item in enumerate(row[:k]) if item >= 0}
        for u, row in enumerate(items)
    }
    run = {user: scores or {"nothing": 0.0} for user, scores in run.items()}  # trec_eval needs a list per user
    theirs = pytrec_eval.RelevanceEvaluator(qrels, {f"ndcg_cut.{k}", "recip_rank", f"recall.{k}"}).evaluate(run)
    users = [f"u{u}" for u in range(len(targets))]
    assert Ndcg.values(lists, k) == pytest.approx([theirs[u][f"ndcg_cut_{k}"] for u in users])
    assert Recall.values(lists, k) == pytest.approx([theirs[u][f"recall_{k}"] for u in users])
    assert Mrr.values(lists, k) == pytest.approx([theirs[u]["recip_rank"] for u in users])  # the run holds K items


def test_list_metrics_on_a_hand_counted_case():
    items = np.array([[0, 1, 2], [1, 3, -1], [-1, -1, -1]])
    popularity = np.array([10, 4, 0, 2, 0])  # 5 items; 6 training users
    lists = RankedLists(ranks=np.array([0, 2, 0]), items=items, popularity=popularity, users=6)
    assert Coverage.values(lists, 2) == pytest.approx(3 / 5)  # items 0, 1, 3
    assert Coverage.values(lists, 3) == pytest.approx(4 / 5)
    assert AverageRecommendedPopularity.values(lists, 2) == pytest.approx([7.0, 3.0, 0.0])
    information = -np.log2((popularity + 1) / 7)
    expected = [(information[0] + information[1]) / 2, (information[1] + information[3]) / 2, 0.0]
    assert Novelty.values(lists, 2) == pytest.approx(expected)


def test_every_builtin_metric_parses_and_labels():
    assert [metric_label(m) for m in ("recall@5", "ndcg@10", "mrr@10", "coverage@10", "popularity@10")] == [
        "R@5",
        "N@10",
        "MRR@10",
        "Cov@10",
        "ARP@10",
    ]
    assert metric_label("novelty@20") == "Nov@20"
    with pytest.raises(ValueError, match="unknown metric 'hit@x'"):
        parse_metric("hit@x")
