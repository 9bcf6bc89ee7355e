"""`suite export DIR`: every variant's ranked lists as TREC run files and one parquet table.

Under `DIR/export/` (or `--out`):
- `<dataset>.qrels`: each user's test target, relevance 1 (`user 0 item 1`);
- `runs/<dataset>/<row>.seed<N>.<variant>.run`: TREC run lines `user Q0 item rank score run`,
  the score N - rank + 1 (the store keeps the order, not the model's scores);
- `lists.parquet`: dataset, row, seed, variant, user, target, rank, items (the list).
Items are the suite's item ids (0 .. n_items - 1, in sorted order of the raw item tokens),
written `i<id>`; users are the raw user tokens. Trials stored before ranked lists were kept
have no lists and are skipped, by name.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from suite.errors import SuiteError
from suite.metrics import NO_ITEM
from suite.report.build import file_stem
from suite.store import Store, write_atomic, write_frame


def _run_lines(rows: pd.DataFrame, name: str) -> str:
    out = io.StringIO()
    for user, items in zip(rows["user"], rows["items"], strict=True):
        listed = [item for item in items if item != NO_ITEM]
        for position, item in enumerate(listed, start=1):
            out.write(f"{user} Q0 i{item} {position} {len(items) - position + 1} {name}\n")
    return out.getvalue()


def export_lists(root: Path, out: Path | None = None) -> tuple[Path, list[str]]:
    """Write the export; return its folder and the keys of trials skipped for having no lists."""
    store = Store(root)
    if not store.has_trials():
        raise SuiteError(f"{root}: not a results folder (no trials/ inside)")
    out = out or root / "export"
    keys = store.current_keys()
    tables, qrels, skipped = [], {}, []
    for key in store.trial_keys():
        if keys is not None and key not in keys:
            continue
        summary = store.read_summary(key)
        stored = store.read_per_user(key)
        if "items" not in stored.columns:
            skipped.append(key)
            continue
        dataset, row, seed = summary["dataset"], summary["row"], summary["seed"]
        for variant, rows in stored.groupby("variant", sort=False):
            name = f"{file_stem(row)}.seed{seed}.{file_stem(variant)}"
            write_atomic(out / "runs" / dataset / f"{name}.run", _run_lines(rows, name).encode())
            tables.append(rows.assign(dataset=dataset, row=row, seed=seed))
        qrels.setdefault(dataset, stored.drop_duplicates("user")[["user", "target"]])
    if not tables:
        raise SuiteError(f"{root}: no trial with ranked lists to export (stored before lists were kept?)")
    for dataset, targets in qrels.items():
        lines = "".join(
            f"{user} 0 i{target} 1\n" for user, target in zip(targets["user"], targets["target"], strict=True)
        )
        write_atomic(out / f"{dataset}.qrels", lines.encode())
    lists = pd.concat(tables, ignore_index=True)
    columns = ["dataset", "row", "seed", "variant", "user", "target", "rank", "items"]
    write_frame(out / "lists.parquet", lists[columns])
    return out, skipped
