"""TrainContext: what building a trial's semantic IDs may and may not change."""

import numpy as np
import pytest
import torch

from suite.context import TrainContext
from suite.data.prepare import prepare
from suite.errors import SuiteError
from suite.semantic_ids.assembly import make_unique
from suite.types import DatasetConfig

TOKENIZER = {"name": "rq-kmeans", "levels": 2, "codebook_size": 4}


@pytest.mark.slow
def test_building_sids_leaves_the_trials_random_draws_alone(tmp_path, monkeypatch):
    """Fitted on a cold cache or loaded from it, the SIDs leave torch's generator where it was,
    so a trial's initial weights do not depend on the cache."""
    monkeypatch.setenv("SUITE_CACHE", str(tmp_path))  # cold: the encoder loads and the tokenizer fits here
    data = prepare(DatasetConfig(name="ml-100k", loader="atomic", max_users=40))
    run = TrainContext(data=data, params={}, seed=0, device=torch.device("cpu"), history=10)
    # a torch fit small enough for seconds; a tiny rq-vae's first level collapses on text in 2 epochs
    tokenizer = {"name": "mh-vqvae", "epochs": 2, "heads": 2, "codebook_size": 4, "hidden": [16, 8]}
    draws = []
    for _ in ("fitted", "cached"):
        torch.manual_seed(123)
        run.semantic_ids(tokenizer)
        draws.append(torch.rand(4))
    torch.manual_seed(123)
    assert torch.equal(draws[0], torch.rand(4))
    assert torch.equal(draws[1], draws[0])


def _sids(codes):
    return make_unique(np.asarray(codes), (4, 4))


def test_a_trial_keeps_its_sids_and_reads_them_back_instead_of_refitting(tmp_path, monkeypatch):
    """Another machine's refit may give other codes; the trial reads the ones it trained on."""
    fits = iter([_sids([[0, 1], [2, 3]]), _sids([[1, 1], [1, 1]])])  # the second fit differs
    monkeypatch.setattr("suite.context.catalog_semantic_ids", lambda *args: (next(fits), False))
    kept = tmp_path / "semantic_ids.npz"
    first, later = (
        TrainContext(data=None, params={}, seed=0, device=torch.device("cpu"), history=10, semantic_ids_file=kept)
        for _ in range(2)
    )
    fitted = first.semantic_ids(TOKENIZER)
    assert kept.is_file()
    again = later.semantic_ids(TOKENIZER)
    assert np.array_equal(again.codes, fitted.codes)
    assert later.tokenizer_report["codebook_sizes"] == [4, 4, 1]


def test_a_checkpoint_without_kept_sids_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr("suite.context.catalog_semantic_ids", lambda *args: (_sids([[0, 1], [2, 3]]), True))
    checkpoint = tmp_path / "checkpoint.pt"
    checkpoint.write_bytes(b"trained before trials kept their SIDs")
    run = TrainContext(
        data=None,
        params={},
        seed=0,
        device=torch.device("cpu"),
        history=10,
        checkpoint=checkpoint,
        semantic_ids_file=tmp_path / "semantic_ids.npz",
    )
    with pytest.raises(SuiteError, match=r"checkpoint.pt: its trial folder does not hold the semantic IDs .*delete"):
        run.semantic_ids(TOKENIZER)
    assert not (tmp_path / "semantic_ids.npz").exists()
