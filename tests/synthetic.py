"""Synthetic datasets with a planted signal, written as RecBole atomic files."""

from pathlib import Path

import numpy as np

from suite.matrix import DEFAULT_VARIANT, TrialSpec, Variant, canonical_json
from suite.store import Store
from suite.trial import run_trial
from suite.types import DatasetConfig


def successor_chain(folder: Path, n_items: int = 30, n_users: int = 200, length: int = 8) -> DatasetConfig:
    """Every user walks a fixed random successor function: the next item is f(last item)."""
    rng = np.random.default_rng(0)
    successor = rng.permutation(n_items)
    lines = ["user_id:token\titem_id:token\ttimestamp:float"]
    for user in range(n_users):
        item = rng.integers(n_items)
        for step in range(length):
            lines.append(f"u{user}\ti{item}\t{step}")
            item = successor[item]
    (folder / "chain.inter").write_text("\n".join(lines) + "\n")
    return DatasetConfig(name="chain", loader="atomic", path=str(folder), history=4)


def successor_chain_trial(method: str, folder: Path, params: dict, variants: tuple[Variant, ...] = ()) -> dict:
    """Train `method` with `params` on the successor chain; the trial summary (default variant first)."""
    spec = TrialSpec(
        dataset=successor_chain(folder),
        method=method,
        method_class=method,
        params_json=canonical_json(params),
        grid_label="",
        seed=0,
        variants=(Variant(DEFAULT_VARIANT), *variants),
        select_metric="ndcg@10",
        device="cpu",
    )
    return run_trial(spec, Store(folder / "results"))
