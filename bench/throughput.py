"""`make bench`, part 2: where each method's time goes on ML-100K, against this machine's matmul speed.

For every method, in one run on the same threads:
- the wall time of each stage: data preparation, item-text embedding, tokenizer fit (cold
  when `--cold` points the cache at an empty folder), one training epoch, one validation pass;
- training tokens per second (token ids looked up by the model's largest embedding table, its
  token or item table, while it trains), and the achieved FLOP/s as a fraction of the dense
  fp32 matmul FLOP/s measured at the start of the run;
- validation's share of an epoch (training proper plus one validation pass; the goal is 20%);
- decoding users per second on test users, for every step count T = 1..m of the diffusion
  methods, as a ratio against T = m (against T = m without the history cache, for the
  methods whose attention mask lets decoding cache the history) and against TIGER's default
  decoding when TIGER is in the run, and decoding's achieved FLOP/s as a fraction of the same
  matmul peak.

FLOPs are counted, not estimated: torch's FlopCounterMode counts every matmul and attention
kernel as it runs (forward and backward), in a second pass of the same work (a training epoch
on a fresh model of the same seed; decoding on the first `FLOP_USERS` users, scaled per user),
so that the timed pass carries no counting overhead. Elementwise work (activations, norms,
dropout, softmax) is not counted: it is the overhead the fraction shows.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

import torch
from tabulate import tabulate
from torch.utils.flop_counter import FlopCounterMode, sdpa_backward_flop_count, sdpa_flop_count

from suite.context import TrainContext
from suite.registry import get_method
from suite.tokenizers.base import complete_tokenizer
from suite.types import DEFAULT_ENCODER, DatasetConfig


def matmul_flops(seconds: float = 2.0, size: int = 1024) -> float:
    """Dense fp32 matmul FLOP/s on the current thread setting."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    a @ b
    count, clock = 0, time.perf_counter()
    while time.perf_counter() - clock < seconds:
        a @ b
        count += 1
    return 2 * size**3 * count / (time.perf_counter() - clock)


def _cpu_attention_flops(query, key, value, *args, out_shape=None, **kwargs) -> int:
    return sdpa_flop_count(query, key, value)


def _cpu_attention_backward_flops(grad_out, query, key, value, *args, out_shape=None, **kwargs) -> int:
    return sdpa_backward_flop_count(grad_out, query, key, value)


CPU_ATTENTION_FLOPS = {
    torch.ops.aten._scaled_dot_product_flash_attention_for_cpu: _cpu_attention_flops,
    torch.ops.aten._scaled_dot_product_flash_attention_for_cpu_backward: _cpu_attention_backward_flops,
}
"""torch's counter knows the GPU attention kernels; the CPU one counts with the same formulas."""
FLOP_USERS = 64
"""Users decoded under the FLOP counter: decoding's FLOPs per user do not depend on the user."""


def flop_counter() -> FlopCounterMode:
    return FlopCounterMode(display=False, custom_mapping=CPU_ATTENTION_FLOPS)


@contextmanager
def embedding_lookups() -> Iterator[dict[torch.nn.Module, int]]:
    """Token ids looked up by every embedding table in training mode, by table."""
    counts: dict[torch.nn.Module, int] = {}

    def hook(module: torch.nn.Module, inputs: tuple) -> None:
        if isinstance(module, torch.nn.Embedding) and module.training:
            counts[module] = counts.get(module, 0) + inputs[0].numel()

    handle = torch.nn.modules.module.register_module_forward_pre_hook(hook)
    try:
        yield counts
    finally:
        handle.remove()


class TimedContext(TrainContext):
    """A TrainContext that times its validation passes and, given the FLOP counter it runs under,
    keeps their FLOPs apart from training's."""

    validation_seconds: float = 0.0
    validation_flops: int = 0
    counter: FlopCounterMode | None = None

    def validate(self, method) -> dict[str, float]:
        counted = self._flops()
        clock = time.perf_counter()
        scores = super().validate(method)
        self.validation_seconds += time.perf_counter() - clock
        self.validation_flops += self._flops() - counted
        return scores

    def _flops(self) -> int:
        return self.counter.get_total_flops() if self.counter else 0


def stage_times(data, method_name: str, seed: int) -> dict[str, float]:
    """Embedding and tokenizer-fit seconds for a method that uses semantic IDs (cache as it is)."""
    from suite.embed import embed_items
    from suite.tokenizers.fitting import catalog_semantic_ids

    tokenizer = get_method(method_name).defaults.get("tokenizer")
    if not tokenizer:
        return {"embed_s": 0.0, "tokenizer_s": 0.0}
    clock = time.perf_counter()
    embed_items(data, DEFAULT_ENCODER)
    embedded = time.perf_counter() - clock
    clock = time.perf_counter()
    catalog_semantic_ids(data, DEFAULT_ENCODER, complete_tokenizer(tokenizer), seed)
    return {"embed_s": embedded, "tokenizer_s": time.perf_counter() - clock}


def train_one_epoch(data, method_name: str, seed: int, history: int) -> tuple[object, dict[str, float]]:
    """Fit one epoch: seconds of training proper and of validation, training tokens, and the
    FLOPs of training proper (counted on a second fit of a fresh model with the same seed)."""
    cls = get_method(method_name)
    params = {**cls.defaults, **cls.inference_defaults}
    params.update({k: 1 for k in ("epochs", "patience") if k in params})
    if "tokenizer" in params:
        params["tokenizer"] = complete_tokenizer(params["tokenizer"])

    def fit(counter: FlopCounterMode | None) -> tuple[object, TimedContext, float]:
        method = cls(params)
        run = TimedContext(data=data, params=params, seed=seed, device=torch.device("cpu"), history=history)
        run.counter = counter
        torch.manual_seed(seed)
        clock = time.perf_counter()
        method.fit(run)
        return method, run, time.perf_counter() - clock

    with embedding_lookups() as counts:
        method, run, total = fit(None)
    with flop_counter() as counter:
        _, counted, _ = fit(counter)
    model = getattr(method, "model", None)
    tables = [m for m in model.modules() if isinstance(m, torch.nn.Embedding)] if model is not None else []
    tokens = counts.get(max(tables, key=lambda m: m.num_embeddings), 0) if tables else 0
    return method, {
        "train_s": total - run.validation_seconds,
        "valid_s": run.validation_seconds,
        "tokens": tokens,
        "train_flops": counter.get_total_flops() - counted.validation_flops,
    }


def decoding_rows(method, method_name: str, histories, peak: float, k: int = 10) -> list[list]:
    """users/s on `histories` for each step count (diffusion) or the default decoding, and the
    achieved FLOP/s as a fraction of `peak`.

    Where a diffusion method decodes from a history cache, the first row (the reference) is
    T = m with the history re-run on every pass instead."""
    settings: list[tuple[str, dict, bool]] = [("default", {}, True)]
    if "steps" in method.inference_defaults:
        m = method.vocab.length
        settings = [(str(steps), {"steps": steps}, True) for steps in range(m, 0, -1)]  # T = m first
        if method.model.caches_history:
            settings.insert(0, (f"{m}, no history cache", {"steps": m}, False))
    rows, reference = [], None
    for label, overrides, cache in settings:
        if hasattr(method, "cache_history"):
            method.cache_history = cache
        clock = time.perf_counter()
        with torch.no_grad():
            method.recommend(histories, k, **overrides)
        rate = len(histories) / (time.perf_counter() - clock)
        counted = histories[:FLOP_USERS]
        with torch.no_grad(), flop_counter() as counter:
            method.recommend(counted, k, **overrides)
        flops_per_user = counter.get_total_flops() / len(counted)
        reference = reference or rate
        rows.append([method_name, label, rate, rate / reference, flops_per_user * rate / peak])
    return rows


def against_reference(rows: list[list], method: str, rate_column: int = 2) -> list[list]:
    """`rows` each with one more column: its users/s over the first row of `method` (TIGER),
    or None without such a row."""
    reference = next((row[rate_column] for row in rows if row[0] == method), None)
    return [[*row, None if reference is None else row[rate_column] / reference] for row in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--methods", nargs="+", default=["pop", "sasrec", "tiger", "llada-rec", "madrec", "greed"])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--users", type=int, default=300, help="test users decoded per setting")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--history", type=int, default=20, help="items of context every method reads (benchmark.yaml's: 20)"
    )
    parser.add_argument("--cold", action="store_true", help="use an empty cache, so every stage is computed")
    args = parser.parse_args()
    if args.cold:
        os.environ["SUITE_CACHE"] = tempfile.mkdtemp(prefix="bench-cache-")
    from suite.data.prepare import prepare

    torch.set_num_threads(args.threads)
    peak = matmul_flops()
    clock = time.perf_counter()
    data = prepare(DatasetConfig(name="ml-100k", loader="atomic"))
    prepare_s = time.perf_counter() - clock
    histories = data.test_histories(args.history)[: args.users]
    stages, decoding = [], []
    for name in args.methods:
        times = stage_times(data, name, args.seed)
        method, fit = train_one_epoch(data, name, args.seed, args.history)
        tokens_per_s = fit["tokens"] / fit["train_s"] if fit["train_s"] > 0 else 0.0
        fraction = fit["train_flops"] / fit["train_s"] / peak if fit["train_s"] > 0 else 0.0
        stages.append(
            [
                name,
                prepare_s,
                times["embed_s"],
                times["tokenizer_s"],
                fit["train_s"],
                fit["valid_s"],
                fit["valid_s"] / (fit["train_s"] + fit["valid_s"]) if fit["valid_s"] > 0 else 0.0,
                tokens_per_s,
                fraction,
            ]
        )
        decoding += decoding_rows(method, name, histories, peak)
        prepare_s = 0.0  # prepared once, shared by every method
    print(
        f"ML-100K, {args.history} items of context, {args.threads} CPU thread(s); "
        f"dense fp32 matmul: {peak / 1e9:.1f} GFLOP/s"
    )
    print(
        tabulate(
            stages,
            headers=[
                "method",
                "prepare s",
                "embed s",
                "tokenizer s",
                "train s/epoch",
                "valid s",
                "of epoch",
                "tokens/s",
                "of matmul",
            ],
            floatfmt=(".0f", ".1f", ".1f", ".1f", ".1f", ".1f", ".0%", ",.0f", ".2%"),
        )
    )
    print()
    print(
        f"decoding {len(histories)} test users (T = steps; ratio against the first row of each method, "
        "and against TIGER's default decoding)"
    )
    print(
        tabulate(
            against_reference(decoding, "tiger"),
            headers=["method", "T", "users/s", "ratio", "of matmul", "vs TIGER"],
            floatfmt=(".0f", ".0f", ".1f", ".2f", ".2%", ".2f"),
            missingval="",
        )
    )


if __name__ == "__main__":
    main()
