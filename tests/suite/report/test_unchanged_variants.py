"""A decoding variant that gives the default's exact lists for every user is named: that is
how SIDs whose codes carry nothing show (every order and step count decodes the same)."""

import numpy as np
import pandas as pd

from suite.report.build import build_report
from suite.report.collect import collect, same_lists_as_default
from suite.store import Store, write_json

USERS = 30


def lists(shift: int) -> list[list[int]]:
    return [[(user + shift + k) % 50 for k in range(10)] for user in range(USERS)]


def add_trial(store: Store, seed: int, variants: dict[str, list[list[int]]]) -> None:
    frames = []
    for name, items in variants.items():
        targets = [user % 50 for user in range(USERS)]
        ranks = [row.index(t) + 1 if t in row else 0 for row, t in zip(items, targets, strict=True)]
        frames.append(
            pd.DataFrame(
                {
                    "user": [f"u{u}" for u in range(USERS)],
                    "variant": name,
                    "target": targets,
                    "rank": ranks,
                    "items": items,
                }
            )
        )
    summary = {
        "dataset": "toy",
        "row": "diff",
        "seed": seed,
        "users": USERS,
        "n_parameters": 10,
        "train_seconds": 1.0,
        "variants": {name: {"inference_seconds": 0.1, "valid_metrics": {"ndcg@10": 0.1}} for name in variants},
    }
    store.write_trial(f"diff-{seed}", {}, pd.concat(frames), pd.DataFrame({"epoch": []}), summary)


def test_same_lists_compares_every_user_with_the_default():
    frame = pd.DataFrame(
        {
            "user": ["a", "b", "a", "b", "a", "b"],
            "variant": ["default", "default", "same", "same", "other", "other"],
            "items": [np.array([1, 2]), np.array([3, 4]), np.array([1, 2]), np.array([3, 4]), [1, 2], [4, 3]],
        }
    )
    assert same_lists_as_default(frame) == {"same": True, "other": False}
    assert same_lists_as_default(frame.drop(columns="items")) == {}


def test_a_variant_unchanged_on_every_seed_is_named_in_its_table(tmp_path):
    store = Store(tmp_path)
    # order=random decodes the default's lists on both seeds; steps=1 differs on seed 1 only
    add_trial(store, 0, {"default": lists(0), "order=random": lists(0), "steps=1": lists(0)})
    add_trial(store, 1, {"default": lists(0), "order=random": lists(0), "steps=1": lists(3)})
    write_json(tmp_path / "evaluation.json", {"metrics": ["ndcg@10"], "ks": [10]})
    rows = {"full model": "default", "order=random": "order=random", "steps=1": "steps=1"}
    ablation = {"method": "diff", "axis": None, "rows": {k: {"row": "diff", "variant": v} for k, v in rows.items()}}
    write_json(tmp_path / "ablations.json", {"decoding": ablation})

    assert collect(store, ("ndcg@10",)).unchanged == {("diff", "order=random")}
    build_report(tmp_path)
    table = (tmp_path / "ablations" / "decoding.md").read_text()
    assert "Same ranked lists as the default decoding for every user of every seed: order=random." in table
    assert "steps=1." not in table
