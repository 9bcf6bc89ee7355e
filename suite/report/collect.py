"""Read the store into frames: one row per (trial, variant, user) with the metrics the report
asks for, computed from the stored ranked lists, plus trial summaries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from suite.scoring import Popularity, score_variant
from suite.store import DamagedFile, Store
from suite.types import DEFAULT_VARIANT, EvaluationConfig


@dataclass
class Collected:
    per_user: pd.DataFrame  # dataset, row, seed, variant, user, <metrics>; a set-level metric repeats its value
    summaries: pd.DataFrame  # one row per trial
    decoding: pd.DataFrame  # one row per (trial, variant): dataset, row, seed, variant, users, inference_seconds, valid
    failed: list[str]  # "key (reason)" of trials that left an error and no summary
    missing: dict[str, list[str]] = field(default_factory=dict)  # row -> metrics its stored files cannot give
    unusable: list[str] = field(default_factory=list)  # one line per trial whose files cannot be read, naming the file
    unfinished: list[str] = field(default_factory=list)  # keys of the matrix with no results (and no error) yet
    # (row, variant) pairs whose ranked lists equal the default decoding's for every user of every
    # seed: a decoding setting that changes nothing, as with SIDs whose codes carry nothing
    unchanged: set[tuple[str, str]] = field(default_factory=set)


def collect(
    store: Store, metrics: Sequence[str] = EvaluationConfig().metrics, select_metric: str = "ndcg@10"
) -> Collected:
    """Every complete trial of the current matrix, scored on `metrics`; each trial's summary row
    holds its default decoding's validation `select_metric` (`valid`), as training logged it, and
    each decoding row its variant's."""
    keys = store.current_keys()
    frames, summaries, decoding = [], [], []
    missing: dict[str, set[str]] = {}
    popularity: dict[str, Popularity | None] = {}
    unusable = []
    changed: dict[tuple[str, str], bool] = {}
    stored_keys = store.stored_keys()
    for key in stored_keys:
        if (keys is not None and key not in keys) or not store.has_summary(key):
            continue
        try:
            damage = store.trial_damage(key)
            if damage is not None:
                raise DamagedFile(damage)
            summary = store.read_summary(key)
            stored = store.read_per_user(key)
        except DamagedFile as error:
            unusable.append(f"trial {key}: {error}")
            continue
        dataset = summary["dataset"]
        if dataset not in popularity:
            found = store.read_popularity(dataset)
            popularity[dataset] = None if found is None else Popularity(*found)
        for variant, same in same_lists_as_default(stored).items():
            pair = (summary["row"], variant)
            changed[pair] = changed.get(pair, False) or not same
        for variant, rows in stored.groupby("variant", sort=False):
            scores = score_variant(rows, metrics, popularity[dataset])
            frame = scores.per_user.assign(**scores.set_level)
            frame.insert(0, "dataset", dataset)
            frame.insert(1, "row", summary["row"])
            frame.insert(2, "seed", summary["seed"])
            frame.insert(3, "variant", variant)
            frames.append(frame)
            if scores.missing:
                missing.setdefault(summary["row"], set()).update(scores.missing)
        trial = {"key": key, "dataset": summary["dataset"], "row": summary["row"], "seed": summary["seed"]}
        valid = (summary["variants"].get(DEFAULT_VARIANT) or {}).get("valid_metrics") or {}
        summaries.append(
            {
                **trial,
                "method": summary.get("method", summary["row"]),
                "valid": valid.get(select_metric, float("nan")),
                "users": summary["users"],
                "n_parameters": summary["n_parameters"],
                "train_seconds": summary["train_seconds"],
            }
        )
        decoding.extend(
            {
                **trial,
                "variant": name,
                "users": summary["users"],
                "inference_seconds": result.get("inference_seconds"),
                "valid": (result.get("valid_metrics") or {}).get(select_metric, float("nan")),
            }
            for name, result in summary["variants"].items()
        )
    failed = []
    for key in stored_keys:
        if (keys is not None and key not in keys) or store.has_summary(key):
            continue
        reason = store.read_error(key)
        if reason is not None:
            failed.append(f"{key} ({reason})" if reason else key)
    unfinished = sorted(
        key for key in keys or () if key not in stored_keys or (not store.has_summary(key) and not store.has_error(key))
    )
    per_user = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    for metric in metrics:
        if len(per_user) and metric not in per_user.columns:
            per_user[metric] = float("nan")
    return Collected(
        per_user=per_user,
        summaries=pd.DataFrame(summaries),
        decoding=pd.DataFrame(decoding),
        failed=failed,
        missing={row: sorted(names) for row, names in sorted(missing.items())},
        unusable=unusable,
        unfinished=unfinished,
        unchanged={pair for pair, differs in changed.items() if not differs},
    )


def same_lists_as_default(stored: pd.DataFrame) -> dict[str, bool]:
    """For each variant but the default of one trial's ranked lists: whether every user's list
    is the default decoding's."""
    if "items" not in stored.columns or DEFAULT_VARIANT not in set(stored["variant"]):
        return {}
    lists = {
        variant: dict(zip(rows["user"], (tuple(items) for items in rows["items"]), strict=True))
        for variant, rows in stored.groupby("variant", sort=False)
    }
    default = lists.pop(DEFAULT_VARIANT)
    return {variant: users == default for variant, users in lists.items()}
