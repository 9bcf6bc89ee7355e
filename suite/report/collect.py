"""Read the store into frames: one row per (trial, variant, user), plus trial summaries."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from suite.store import Store


@dataclass
class Collected:
    per_user: pd.DataFrame  # dataset, row, seed, variant, user, <metrics>
    summaries: pd.DataFrame  # one row per trial
    decoding: pd.DataFrame  # one row per (trial, variant): dataset, row, seed, variant, users, inference_seconds
    failed: list[str]  # "key (reason)" of trials that left an error and no summary


def collect(store: Store) -> Collected:
    keys = store.current_keys()
    frames, summaries, decoding = [], [], []
    for key in store.trial_keys():
        if keys is not None and key not in keys:
            continue
        summary = store.read_summary(key)
        frame = store.read_per_user(key)
        frame.insert(0, "dataset", summary["dataset"])
        frame.insert(1, "row", summary["row"])
        frame.insert(2, "seed", summary["seed"])
        frames.append(frame)
        trial = {"key": key, "dataset": summary["dataset"], "row": summary["row"], "seed": summary["seed"]}
        summaries.append(
            {
                **trial,
                "users": summary["users"],
                "n_parameters": summary["n_parameters"],
                "train_seconds": summary["train_seconds"],
            }
        )
        decoding.extend(
            {**trial, "variant": name, "users": summary["users"], "inference_seconds": result.get("inference_seconds")}
            for name, result in summary["variants"].items()
        )
    failed = []
    for key in store.stored_keys():
        if (keys is not None and key not in keys) or store.is_complete(key):
            continue
        reason = store.read_error(key)
        if reason is not None:
            failed.append(f"{key} ({reason})" if reason else key)
    per_user = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return Collected(
        per_user=per_user, summaries=pd.DataFrame(summaries), decoding=pd.DataFrame(decoding), failed=failed
    )
