"""The CUDA path of every registered method: a tiny trial trained and decoded on the GPU (in
bf16 where the method offers it). Skipped where no CUDA device is present, as in CI."""

import dataclasses

import pytest

from suite.matrix import canonical_json
from suite.registry import get_method, known_methods
from suite.store import Store
from suite.trial import run_trial
from tests.tiny_trials import tiny_spec


@pytest.mark.gpu
@pytest.mark.parametrize("precision", ["fp32", "bf16"])
@pytest.mark.parametrize("method", known_methods())
def test_every_method_trains_and_decodes_on_a_gpu(method, precision, tmp_path):
    spec = dataclasses.replace(tiny_spec(method), device="cuda")
    if precision != "fp32":
        if "precision" not in get_method(method).defaults:
            pytest.skip(f"{method} has no precision parameter")
        spec = dataclasses.replace(spec, params_json=canonical_json({**spec.params, "precision": precision}))
    summary = run_trial(spec, Store(tmp_path))
    assert summary["device"].startswith("cuda")
    metrics = summary["variants"]["default"]["metrics"]
    assert 0.0 <= metrics["ndcg@10"] <= metrics["recall@10"] <= 1.0
