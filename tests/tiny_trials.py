"""Tiny trials: a method with its smoke parameters on a slice of ML-100K, on CPU, in seconds."""

from suite.matrix import TrialSpec, Variant, canonical_json
from suite.registry import get_method
from suite.types import DatasetConfig

TINY = DatasetConfig(name="ml-100k", loader="atomic", history=20, max_users=40)


def tiny_spec(method: str, seed: int = 0, **params) -> TrialSpec:
    """`method`'s defaults, one epoch, its `smoke_params`, then `params`."""
    cls = get_method(method)
    merged = {**cls.defaults, **cls.inference_defaults}
    if "epochs" in cls.defaults:
        merged["epochs"] = 1
    merged.update(cls.smoke_params)
    merged.update(params)
    return TrialSpec(
        dataset=TINY,
        method=method,
        method_class=method,
        params_json=canonical_json(merged),
        grid_label="",
        seed=seed,
        variants=(Variant("default"),),
        select_metric="ndcg@10",
        device="cpu",
    )
