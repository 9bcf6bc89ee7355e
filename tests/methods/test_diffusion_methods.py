"""The three diffusion methods end to end: a planted signal, and their paper-specific choices."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from suite.context import TrainContext
from suite.data.prepare import prepare
from suite.matrix import Variant, canonical_json
from suite.registry import get_method
from tests.synthetic import successor_chain, successor_chain_trial

METHODS = ("llada-rec", "madrec", "greed")
# MADRec masks history and target alike, so the clean history -> next item case is rarer in
# training than for the next-item objectives of LLaDA-Rec and GREED: it gets more, gentler epochs.
EPOCHS = {"llada-rec": 60, "madrec": 100, "greed": 60}
LEARNING_RATE = {"llada-rec": 0.005, "madrec": 0.002, "greed": 0.005}


def planted_trial(method: str, tmp_path, tokenizer: dict, variants: tuple[Variant, ...] = (), **overrides) -> dict:
    """Train `method` on the successor chain and return the trial summary."""
    cls = get_method(method)
    params = {
        **cls.defaults,
        **cls.inference_defaults,
        "layers": 2,
        "d_model": 32,
        "heads": 2,
        "d_kv": 16,
        "d_ff": 64,
        "dropout": 0.0,
        "max_items": 3,
        "tokenizer": tokenizer,
        "windows_per_user": 0,
        "learning_rate": LEARNING_RATE[method],
        "epochs": EPOCHS[method],
        "patience": EPOCHS[method],
        **overrides,
    }
    return successor_chain_trial(method, tmp_path, params, variants)


@pytest.mark.slow
@pytest.mark.parametrize("method", METHODS)
def test_planted_next_item_signal_is_learned(method, tmp_path):
    variants = (
        Variant("steps=1", canonical_json({"steps": 1})),
        Variant("condition=1", canonical_json({"condition": 1})),
        Variant("given=[1]", canonical_json({"condition_positions": [1]})),
    )
    summary = planted_trial(method, tmp_path, {"name": "random", "levels": 2, "codebook_size": 8}, variants)
    default = summary["variants"]["default"]
    assert default["metrics"]["recall@1"] > 0.9
    assert default["nfe_per_user"] == 3.0 and default["invalid_share"] == 0.0  # m = 2 codes + dedup
    assert summary["variants"]["steps=1"]["nfe_per_user"] == 1.0
    conditional = summary["variants"]["condition=1"]  # the target's first code is given: 2 left to decode
    assert conditional["nfe_per_user"] == 2.0 and conditional["metrics"]["recall@1"] > 0.9
    middle = summary["variants"]["given=[1]"]  # the target's second code is given
    assert middle["nfe_per_user"] == 2.0 and middle["metrics"]["recall@1"] > 0.9
    assert all(v["valid_metrics"]["recall@1"] > 0.9 for v in summary["variants"].values())


@pytest.mark.slow
def test_madrec_item_id_mode_learns_the_planted_signal(tmp_path):
    """MADRec's item-ID variant: one token per item, so one decoding step."""
    default = planted_trial("madrec", tmp_path, {"name": "item-id"}, epochs=60, patience=60)["variants"]["default"]
    assert default["metrics"]["recall@1"] > 0.9 and default["nfe_per_user"] == 1.0


@pytest.mark.slow
def test_llada_rec_with_the_authors_item_rates_learns_the_planted_signal(tmp_path):
    tokenizer = {"name": "random", "levels": 2, "codebook_size": 8}
    summary = planted_trial("llada-rec", tmp_path, tokenizer, item_rates=True, epochs=30, patience=30)
    default = summary["variants"]["default"]
    assert default["metrics"]["recall@1"] > 0.9


@pytest.mark.parametrize("method", ["llada-rec", "madrec"])
def test_the_users_a_decoding_pass_takes_change_no_list(method, tmp_path, monkeypatch):
    """On CPU a pass runs at most 16,384 tokens (suite.decode_batches), whatever
    `decode_batch_users`; how users are grouped into passes leaves every list as it is, under the
    `random` order too, and its scores within float rounding (a matmul over fewer rows may sum in
    another order)."""
    cls = get_method(method)
    params = {**cls.defaults, **cls.inference_defaults, **cls.smoke_params, "epochs": 2, "max_items": 4}
    params["tokenizer"] = {"name": "random", "levels": 2, "codebook_size": 8}
    data = prepare(successor_chain(tmp_path))
    recommender = cls(params)
    torch.manual_seed(0)
    recommender.fit(TrainContext(data=data, params=params, seed=0, device=torch.device("cpu"), history=4))
    histories = data.test_histories(4)
    per_user = recommender.params["beam"] * recommender.vocab.length * recommender.model.items
    lists = []
    for users in (1, 3, len(histories)):
        monkeypatch.setattr("suite.decode_batches.CPU_PASS_TOKENS", users * per_user)
        lists.append(recommender.recommend(histories, 10, order="random"))
    for other in lists[1:]:
        np.testing.assert_array_equal(other.items, lists[0].items)
        np.testing.assert_allclose(other.scores, lists[0].scores, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("method", ["greed", "llada-rec"])
def test_decoding_from_the_history_cache_recommends_what_whole_sequence_passes_do(method, tmp_path):
    """GREED's block-causal mask (and LLaDA-Rec under a causal one) lets decoding run the history
    once per user; the top-10 lists and their scores stay those of the reference path."""
    cls = get_method(method)
    params = {**cls.defaults, **cls.inference_defaults, **cls.smoke_params, "epochs": 3, "max_items": 4}
    params["tokenizer"] = {"name": "random", "levels": 2, "codebook_size": 8}
    if method == "llada-rec":
        params["attention"] = "causal"
    data = prepare(successor_chain(tmp_path))
    recommender = cls(params)
    torch.manual_seed(0)
    recommender.fit(TrainContext(data=data, params=params, seed=0, device=torch.device("cpu"), history=4))
    histories = data.test_histories(4)
    assert recommender.model.caches_history
    cached = recommender.recommend(histories, 10)
    recommender.cache_history = False
    whole = recommender.recommend(histories, 10)
    np.testing.assert_array_equal(cached.items, whole.items)
    np.testing.assert_allclose(cached.scores, whole.scores, rtol=1e-4, atol=1e-5)


def test_the_random_order_is_drawn_from_the_trial_seed(tmp_path):
    cls = get_method("llada-rec")
    params = {**cls.defaults, **cls.inference_defaults, **cls.smoke_params, "epochs": 2, "max_items": 4}
    params["tokenizer"] = {"name": "random", "levels": 2, "codebook_size": 8}
    data = prepare(successor_chain(tmp_path))
    recommender = cls(params)
    recommender.fit(TrainContext(data=data, params=params, seed=0, device=torch.device("cpu"), history=4))
    assert recommender.dedup_position == 2  # two codes and the dedup position
    histories = data.test_histories(4)
    first = recommender.recommend(histories, 10, order="random")
    again = recommender.recommend(histories, 10, order="random")
    np.testing.assert_array_equal(first.scores, again.scores)
    recommender.seed = 1  # the same model in a trial of another seed
    other = recommender.recommend(histories, 10, order="random")
    assert not np.allclose(first.scores, other.scores)


def test_madrec_data_constrained_training_sees_sparser_sequences():
    run = SimpleNamespace(seed=0, data=SimpleNamespace(train_sequences=lambda: [np.arange(10), np.arange(4)]))
    madrec = get_method("madrec")
    assert [len(s) for s in madrec({"drop_fraction": 0.5})._training_sequences(run)] == [5, 3]
    assert [len(s) for s in madrec({})._training_sequences(run)] == [10, 4]


def test_madrec_data_constrained_sids_are_fitted_on_the_dropped_sequences(tmp_path, monkeypatch):
    """The co-occurrence SIDs of a data-constrained run see only what its training sees."""
    import suite.context

    seen = []

    class Stop(Exception):
        pass

    def record(data, encoder, tokenizer, seed):
        seen.append(data)
        raise Stop

    monkeypatch.setattr(suite.context, "catalog_semantic_ids", record)
    data = prepare(successor_chain(tmp_path))
    madrec = get_method("madrec")
    params = {"drop_fraction": 0.5, "tokenizer": {"name": "rq-kmeans", "input": "cooccurrence"}}
    run = TrainContext(data=data, params=params, seed=3, device=torch.device("cpu"), history=4)
    with pytest.raises(Stop):
        madrec(params).fit(run)
    dropped = madrec(params)._training_sequences(run)
    assert [s.tolist() for s in seen[0].train_sequences()] == [s.tolist() for s in dropped]
    assert sum(map(len, dropped)) < sum(map(len, data.train_sequences()))
    np.testing.assert_array_equal(seen[0].valid_targets(), data.valid_targets())  # targets untouched
    np.testing.assert_array_equal(seen[0].test_targets(), data.test_targets())


def test_paper_specific_defaults():
    llada, madrec, greed = (get_method(m) for m in METHODS)
    assert llada.defaults["tokenizer"]["name"] == "mh-vqvae" and llada.defaults["attention"] == "bidirectional"
    assert llada.inference_defaults["order"] == "confidence"
    assert madrec.defaults["tokenizer"]["name"] == "rq-kmeans" and madrec.defaults["next_weight"] == 0
    assert madrec.inference_defaults["order"] == "margin" and madrec.defaults["positions"] == "rotary"
    assert greed.defaults["tokenizer"]["name"] == "uiq" and greed.defaults["attention"] == "inter-item-causal"
    assert (greed.defaults["norm"], greed.defaults["activation"]) == ("rms", "silu")
    assert (greed.defaults["noise_low"], greed.defaults["noise_width"]) == (0.5, 0.5)
    assert greed.defaults["blockwise"] is True  # eq. 12: every item block is a training target


def test_greed_blockwise_training_with_another_mask_is_a_config_error():
    from suite.config import parse_config
    from suite.errors import ConfigError
    from suite.matrix import expand

    raw = {"datasets": {"ml-100k": {}}, "methods": {"greed": {}}}
    raw["ablations"] = {"attention": {"method": "greed", "vary": {"attention": ["inter-item-causal", "bidirectional"]}}}
    with pytest.raises(ConfigError, match="ablations.attention: blockwise: true needs attention 'inter-item-causal'"):
        expand(parse_config(raw, "t.yaml"))
    raw["methods"]["greed"] = {"blockwise": False}
    assert len(expand(parse_config(raw, "t.yaml"))) == 2
    raw["methods"]["greed"] = {"positions": "rotary"}
    with pytest.raises(ConfigError, match="methods.greed: .*got 'inter-item-causal' and 'rotary'"):
        expand(parse_config({**raw, "ablations": {}}, "t.yaml"))


def _decoder_of(method: str, m: int, catalog: np.ndarray):
    """A method instance with just what `_given_positions` and `_given` read."""
    instance = get_method(method)({})
    instance.vocab = SimpleNamespace(length=m)
    instance.catalog = torch.as_tensor(catalog)
    return instance


def test_conditional_positions_give_exactly_those_codes_of_the_true_target():
    catalog = np.array([[1, 2, 3, 0], [4, 5, 6, 1], [7, 0, 1, 0]])
    greed = _decoder_of("greed", 4, catalog)
    options = {"condition": 0, "condition_positions": [0, 2]}
    given = greed._given(np.array([2, 0]), greed._given_positions(options))
    assert given.tolist() == [[7, -1, 1, -1], [1, -1, 3, -1]]
    prefix = greed._given(np.array([1]), greed._given_positions({"condition": 2, "condition_positions": []}))
    assert prefix.tolist() == [[4, 5, -1, -1]]
    for bad, message in [
        ({"condition": 1, "condition_positions": [2]}, "not both"),
        ({"condition": 0, "condition_positions": [0, 0]}, "distinct"),
        ({"condition": 0, "condition_positions": [4]}, "distinct"),
        ({"condition": 0, "condition_positions": [0, 1, 2, 3]}, "one left free"),
        ({"condition": 4, "condition_positions": []}, "condition must lie in 0..3"),
    ]:
        with pytest.raises(ValueError, match=message):
            greed._given_positions(bad)
    with pytest.raises(ValueError, match="needs the true targets"):
        greed._given(None, [1])
