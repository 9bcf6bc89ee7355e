"""TrainContext: what building a trial's semantic IDs may and may not change."""

import pytest
import torch

from suite.context import TrainContext
from suite.data.prepare import prepare
from suite.types import DatasetConfig


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
