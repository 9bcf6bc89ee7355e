"""One trial, start to finish: data, fit, every inference variant, metrics, store."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import numpy as np
import pandas as pd
import torch

from suite.context import TrainContext
from suite.data.prepare import prepare
from suite.matrix import TrialSpec
from suite.metrics import rank_metrics
from suite.protocol import TopK, is_conditional
from suite.registry import get_method
from suite.scoring import ranked_lists_frame
from suite.store import Store
from suite.training import resolve_device, seed_everything


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _recommend(method: Any, histories: list, targets: np.ndarray, k: int, options: dict[str, Any]) -> TopK:
    """The method's top-k under a variant's `options`; conditional variants are given the targets."""
    if is_conditional(method, options):
        options = {**options, "targets": targets}  # some of the true target's tokens are given
    with torch.no_grad():
        return method.recommend(histories, k, **options)


def _logged_validation(run: TrainContext) -> dict[str, float] | None:
    """The validation means logged at the best epoch (whose weights the method holds), if any."""
    row = next((row for row in run.log if row["epoch"] == run.best_epoch), None)
    if row is None:
        return None
    return {name.removeprefix("valid_"): value for name, value in row.items() if name.startswith("valid_")}


def fit_trial(
    spec: TrialSpec,
    store: Store,
    on_epoch: Callable[[dict[str, Any]], None] | None = None,
    context: type[TrainContext] = TrainContext,
) -> tuple[Any, TrainContext]:
    """`spec`'s method trained on its training sequences, early-stopped on validation (the test
    split is not read here), with its epoch checkpoint in `store`; and the context it trained in
    (of class `context`: a measurement may subclass it)."""
    seed_everything(spec.seed)
    torch.set_num_threads(max(1, int(spec.resources.cpu)))
    data = prepare(spec.dataset)
    method = get_method(spec.method_class)(spec.params)
    run = context(
        data=data,
        params=spec.params,
        seed=spec.seed,
        device=resolve_device(spec.device),
        history=spec.dataset.history,
        ks=spec.quick_ks,
        select_metric=spec.select_metric,
        on_epoch=on_epoch,
        encoder=spec.dataset.encoder,
        checkpoint=store.checkpoint_file(spec.key),
        semantic_ids_file=store.semantic_ids_file(spec.key),
    )
    method.fit(run)
    return method, run


def run_trial(spec: TrialSpec, store: Store, on_epoch: Callable[[dict[str, Any]], None] | None = None) -> dict:
    """Train `spec`'s method, evaluate each variant on the test targets, write the store folder."""
    started = _now()
    method, run = fit_trial(spec, store, on_epoch)
    data = run.data
    train_seconds = run.elapsed()

    histories = data.test_histories(spec.dataset.history)
    targets = data.test_targets()
    valid_histories, valid_targets = data.valid_histories(spec.dataset.history), data.valid_targets()
    best_epoch_scores = _logged_validation(run)
    frames, variants = [], {}
    for variant in spec.variants:
        options = dict(variant.overrides)
        # every variant is scored on validation too, so that inference settings can be chosen there;
        # the default decoding of the restored best epoch was scored in training already
        valid_metrics = best_epoch_scores if not options and best_epoch_scores else None
        if valid_metrics is None:
            valid = _recommend(method, valid_histories, valid_targets, min(max(spec.quick_ks), data.n_items), options)
            valid_metrics = {
                name: float(np.mean(v)) for name, v in rank_metrics(valid.items, valid_targets, spec.quick_ks).items()
            }
        clock = time.perf_counter()
        # a catalog smaller than N gives lists of the whole catalog, padded to N with "no item"
        top = _recommend(method, histories, targets, min(spec.list_length, data.n_items), options)
        seconds = time.perf_counter() - clock
        frames.append(ranked_lists_frame(data.user_tokens, variant.name, targets, top.items, spec.list_length))
        metrics = rank_metrics(top.items, targets, spec.quick_ks)
        variants[variant.name] = {
            "overrides": variant.overrides,
            "metrics": {name: float(np.mean(values)) for name, values in metrics.items()},
            "valid_metrics": valid_metrics,
            "inference_seconds": seconds,
            "users_per_second": len(histories) / seconds if seconds > 0 else None,
            "nfe_per_user": top.nfe,
            **top.extras,
        }
    summary = {
        "key": spec.key,
        "status": "ok",
        "method": spec.method,
        "method_class": spec.method_class,
        "row": spec.row,
        "dataset": spec.dataset.name,
        "dataset_stats": data.stats(),
        "seed": spec.seed,
        "params": spec.params,
        "device": str(run.device),
        "users": len(histories),
        "n_parameters": method.n_parameters(),
        "train_seconds": train_seconds,
        "epochs": len(run.log),
        "best_epoch": run.best_epoch,
        # the epochs' validation passes, within train_seconds (issue 26's goal: at most 20% of an epoch)
        "validation_seconds": float(np.nansum([row.get("validation_seconds", np.nan) for row in run.log])),
        "variants": variants,
        "tokenizer": run.tokenizer_report,
        "started": started,
        "finished": _now(),
    }
    log = pd.DataFrame(run.log) if run.log else pd.DataFrame({"epoch": []})
    store.write_trial(spec.key, spec.to_dict(), pd.concat(frames, ignore_index=True), log, summary)
    return summary
