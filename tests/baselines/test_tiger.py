"""TIGER: exact beam search on a tiny vocabulary, the trie constraint, and a planted signal."""

import itertools

import numpy as np
import pytest
import torch

from baselines.tiger import Tiger, TigerConfig, TigerModel
from suite.nn import config_from
from suite.semantic_ids.trie import PrefixTrie
from suite.semantic_ids.vocabulary import SidVocabulary
from tests.synthetic import successor_chain_trial

SIZES = (3, 3, 2)
SMALL = {
    "encoder_layers": 1,
    "decoder_layers": 1,
    "d_model": 16,
    "heads": 2,
    "d_kv": 8,
    "d_ff": 32,
    "dropout": 0.0,
    "max_items": 4,
}


def untrained_tiger(codes: np.ndarray, seed: int = 0) -> Tiger:
    torch.manual_seed(seed)
    tiger = Tiger(SMALL)
    tiger.vocab = SidVocabulary(SIZES, specials=("pad", "bos"))
    tiger.codes = torch.from_numpy(codes)
    tiger.sid_tokens = tiger.vocab.tokens(codes)
    tiger.device = torch.device("cpu")
    tiger.trie = PrefixTrie(codes, SIZES)
    tiger.model = TigerModel(tiger.vocab, config_from(TigerConfig, tiger.params)).eval()
    return tiger


@pytest.fixture
def catalog():
    every = np.array(list(itertools.product(*(range(s) for s in SIZES))))
    chosen = np.random.default_rng(0).choice(len(every), size=11, replace=False)
    return every[np.sort(chosen)]


def brute_force(tiger: Tiger, history: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Joint log-probability of every catalog SID by teacher forcing."""
    with torch.no_grad():
        memory, memory_tokens = tiger._memory([history] * len(codes))
        tokens = torch.from_numpy(tiger.vocab.tokens(codes))
        prefix = torch.cat([torch.full((len(codes), 1), tiger.vocab["bos"]), tokens[:, :-1]], dim=1)
        hidden = tiger.model.decode(tiger.model.memory_keys_values(memory), memory_tokens, prefix)
        total = torch.zeros(len(codes))
        for j in range(len(SIZES)):
            log_probs = tiger.model.logits(hidden[:, j], tiger.vocab.span(j)).log_softmax(-1)
            total += log_probs.gather(1, torch.from_numpy(codes[:, j : j + 1])).squeeze(1)
    return total.numpy()


def test_beam_search_equals_exhaustive_enumeration(catalog):
    tiger = untrained_tiger(catalog)
    histories = [np.array([0, 3, 5]), np.array([7]), np.array([2, 2, 9, 1, 4])]
    k = 6
    top = tiger.recommend(histories, k, beam=len(catalog) * max(SIZES))
    for row, history in enumerate(histories):
        scores = brute_force(tiger, history, catalog)
        order = np.argsort(-scores, kind="stable")[:k]
        assert top.items[row].tolist() == order.tolist()
        np.testing.assert_allclose(top.scores[row], scores[order], rtol=1e-5, atol=1e-5)


def test_constrained_search_only_returns_real_items(catalog):
    tiger = untrained_tiger(catalog, seed=3)
    histories = [np.array([i % 11, (i * 7) % 11]) for i in range(20)]
    top = tiger.recommend(histories, 4, beam=4)
    assert (top.items >= 0).all() and (top.items < len(catalog)).all()
    assert all(len(set(row)) == 4 for row in top.items.tolist())
    assert top.extras["invalid_share"] == 0.0
    assert top.nfe == len(SIZES)


def test_unconstrained_search_reports_invalid_beams(catalog):
    tiger = untrained_tiger(catalog, seed=1)
    histories = [np.array([i % 11]) for i in range(30)]
    top = tiger.recommend(histories, 10, beam=10, constrained=False)
    share = top.extras["invalid_share"]
    assert share == pytest.approx(np.mean(top.items == -1))
    assert 0 < share < 1  # 11 of 18 SIDs exist, so a free search names some that do not


@pytest.mark.slow
def test_planted_next_item_signal_is_learned(tmp_path):
    params = {
        **Tiger.defaults,
        **Tiger.inference_defaults,
        **SMALL,
        "d_model": 32,
        "d_ff": 64,
        "tokenizer": {"name": "random", "levels": 2, "codebook_size": 8},
        "prefixes_per_user": 0,
        "learning_rate": 0.005,
        "batch_size": 64,
        "epochs": 40,
        "patience": 40,
    }
    summary = successor_chain_trial("tiger", tmp_path, params)
    assert summary["variants"]["default"]["metrics"]["recall@1"] > 0.9
