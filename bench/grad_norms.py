"""What the diffusion losses' 1/t weights do to the gradients (issue 29), without clipping.

For each diffusion method at the default benchmark's settings (its row of `benchmark.yaml`,
with the tuned parameters, seed 0), it trains `--epochs` epochs from scratch with
`grad_clip: 0` and records every optimizer step's global gradient L2 norm and the smallest
mask rate t drawn for that step's batch. It prints, per method and loss weighting:
- the norms' median, 99th percentile and maximum;
- the share of steps whose norm exceeds `--clip`: the steps `grad_clip: <clip>` would shrink;
- the largest weight 1/t each step's batch drew (its median and maximum over the steps), and
  the rank correlation between a step's norm and that weight.

Under `elbo` weighting (LLaDA-Rec, GREED) a masked token's loss is weighted by 1/t, so a batch
that draws a small t can carry a large gradient; MADRec's `normalized` weighting divides by the
weights' sum. Whether clipping helps is a validation question (`configs/ablations.yaml`'s
`grad-clip`); this shows how often it would act. Usage:

    python bench/grad_norms.py --methods llada-rec madrec greed --epochs 2
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from scipy.stats import spearmanr
from tabulate import tabulate
from torch.optim.optimizer import register_optimizer_step_pre_hook

import methods.diffusion.recommender as recommender
from suite.config import load_config
from suite.matrix import TrialSpec, Variant, canonical_json, expand
from suite.store import Store
from suite.trial import fit_trial
from suite.types import DEFAULT_VARIANT

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class StepRecord:
    """Per optimizer step: the global gradient norm and the smallest mask rate its batch drew."""

    norms: list[float] = field(default_factory=list)
    smallest_rates: list[float] = field(default_factory=list)
    _pending: list[float] = field(default_factory=list)

    def rates_drawn(self, rates: torch.Tensor) -> None:
        if len(rates):
            self._pending.append(float(rates.min()))

    def step(self, optimizer: torch.optim.Optimizer) -> None:
        grads = [p.grad for group in optimizer.param_groups for p in group["params"] if p.grad is not None]
        self.norms.append(float(torch.nn.utils.get_total_norm(grads)))  # the norm `grad_clip` would clip
        self.smallest_rates.append(min(self._pending, default=float("nan")))
        self._pending.clear()


@contextmanager
def recording(record: StepRecord) -> Iterator[None]:
    """Every optimizer step's gradients (before the step), and every mask-rate draw, into `record`."""
    draw = recommender.sample_rates

    def sampled(*args, **kwargs) -> torch.Tensor:
        rates = draw(*args, **kwargs)
        record.rates_drawn(rates)
        return rates

    handle = register_optimizer_step_pre_hook(lambda optimizer, *_: record.step(optimizer))
    recommender.sample_rates = sampled
    try:
        yield
    finally:
        recommender.sample_rates = draw
        handle.remove()


def default_row(method: str, config_path: Path) -> TrialSpec:
    """The seed-0 trial of `method`'s row in `config_path` (its full model, tuned parameters)."""
    specs = [s for s in expand(load_config(config_path)) if s.method == method and s.seed == 0]
    if not specs:
        raise SystemExit(f"{config_path}: no seed-0 row named {method!r}")
    return specs[0]


def record_steps(spec: TrialSpec, epochs: int) -> StepRecord:
    """`spec` trained as a trial trains (`fit_trial`: its seed, threads and device), for `epochs`
    epochs without clipping, in a throwaway store; every step recorded."""
    params = {**spec.params, "epochs": epochs, "patience": epochs, "grad_clip": 0.0}
    spec = replace(spec, params_json=canonical_json(params), variants=(Variant(DEFAULT_VARIANT),))
    record = StepRecord()
    with tempfile.TemporaryDirectory() as work, recording(record):
        fit_trial(spec, Store(Path(work)))
    return record


def summary_row(method: str, weighting: str, record: StepRecord, clip: float) -> list:
    norms, weights = np.asarray(record.norms), 1.0 / np.asarray(record.smallest_rates)
    drawn = ~np.isnan(weights)
    rho = spearmanr(norms[drawn], weights[drawn]).statistic if drawn.sum() > 2 else None
    return [
        method,
        weighting,
        len(norms),
        np.median(norms),
        np.percentile(norms, 99),
        norms.max(),
        f"{(norms > clip).mean():.1%}",
        np.median(weights[drawn]) if drawn.any() else None,
        weights[drawn].max() if drawn.any() else None,
        rho,
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", nargs="+", default=["llada-rec", "madrec", "greed"])
    parser.add_argument("--config", type=Path, default=ROOT / "benchmark.yaml")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--clip", type=float, default=1.0)
    args = parser.parse_args()
    rows = []
    for method in args.methods:
        spec = default_row(method, args.config)
        record = record_steps(spec, args.epochs)
        rows.append(summary_row(method, spec.params["loss_weighting"], record, args.clip))
    print(f"{args.config.name}, seed 0, {args.epochs} epochs from scratch, no clipping")
    headers = [
        "method",
        "weighting",
        "steps",
        "median norm",
        "p99",
        "max",
        f"> {args.clip:g}",
        "largest 1/t, median",
        "largest 1/t, max",
        "Spearman (norm, 1/t)",
    ]
    print(tabulate(rows, headers=headers, floatfmt=".3g"))


if __name__ == "__main__":
    main()
