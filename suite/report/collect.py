"""Read the store into frames: one row per (trial, variant, user), plus trial summaries."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from suite.config import EvaluationConfig
from suite.store import MATRIX_FILE, Store


@dataclass
class Collected:
    per_user: pd.DataFrame  # dataset, row, seed, variant, user, <metrics>
    summaries: pd.DataFrame  # one row per trial
    decoding: pd.DataFrame  # one row per (trial, variant): dataset, row, seed, variant, users, inference_seconds
    failed: list[str]  # "key (reason)" of trials that left an error and no summary


def read_evaluation(root: Path) -> EvaluationConfig:
    path = root / "evaluation.json"
    if not path.is_file():
        return EvaluationConfig()
    raw = json.loads(path.read_text())
    if "baseline" in raw:  # the YAML's spelling, as written by earlier versions
        baseline = raw.pop("baseline")
        raw["baselines"] = [] if baseline is None else [baseline] if isinstance(baseline, str) else baseline
    return EvaluationConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()})


def current_keys(root: Path) -> set[str] | None:
    """The keys of the configuration last run here (`matrix.json`); None: take every stored trial.

    A store can hold trials of an earlier version of the YAML (other parameters, so other
    keys); they stay on disk but are left out of the tables.
    """
    path = root / MATRIX_FILE
    return set(json.loads(path.read_text())["keys"]) if path.is_file() else None


def collect(root: Path) -> Collected:
    store = Store(root)
    keys = current_keys(root)
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
    trials = root / "trials"
    failed = []
    if trials.is_dir():
        for folder in sorted(trials.iterdir()):
            if keys is not None and folder.name not in keys:
                continue
            error = store.error_file(folder.name)
            if error.is_file() and not store.is_complete(folder.name):
                reason = error.read_text(errors="replace").strip().splitlines()
                failed.append(f"{folder.name} ({reason[0]})" if reason else folder.name)
    per_user = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return Collected(
        per_user=per_user, summaries=pd.DataFrame(summaries), decoding=pd.DataFrame(decoding), failed=failed
    )
