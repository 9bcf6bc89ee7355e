"""SASRec's training regimens on one store, chosen on validation: which row to make the default.

For every row of the store (configs/sasrec-regimens.yaml fills `results/sasrec-regimens`) it
prints, over the seeds present: the best-epoch validation NDCG@10 (what the choice reads), the
test NDCG@10 (reported only), epochs and training seconds, best mean validation first. With
`--reference STORE ROW` the rows' test NDCG@10 is tested against that row's (paired Wilcoxon on
per-user values averaged over the seeds both have, Holm-corrected), e.g. recbole's regimen,
`results/reference/ml100k-store sasrec`:

    python bench/sasrec_regimens.py results/sasrec-regimens --reference results/reference/ml100k-store sasrec
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
from tabulate import tabulate

from suite.report.leaderboard import compare_rows
from suite.scoring import score_variant
from suite.store import Store
from suite.types import DEFAULT_VARIANT, EvaluationConfig

EVALUATION = EvaluationConfig(metrics=("ndcg@10",))
METRIC = "ndcg@10"


def trials(root: Path, only_row: str | None = None, label: str | None = None) -> tuple[list[dict], pd.DataFrame]:
    """Per trial (row, seed, valid, test, epochs, seconds), and per-user test NDCG@10 (row, seed, user)."""
    store = Store(root)
    records, parts = [], []
    for key in store.trial_keys():
        summary = store.read_summary(key)
        if summary["method_class"] != "sasrec" or (only_row and summary["row"] != only_row):
            continue
        row = label or summary["row"]
        default = summary["variants"][DEFAULT_VARIANT]
        records.append(
            {
                "row": row,
                "seed": summary["seed"],
                "valid": best_validation(store, key, summary),
                "test": default["metrics"][METRIC],
                "epochs": summary["epochs"],
                "seconds": summary["train_seconds"],
            }
        )
        per_user = store.read_per_user(key)
        scores = score_variant(per_user[per_user["variant"] == DEFAULT_VARIANT], [METRIC], None).per_user
        parts.append(scores.assign(dataset="ml-100k", row=row, seed=summary["seed"], user=scores["user"].astype(str)))
    return records, pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def best_validation(store: Store, key: str, summary: dict) -> float:
    """The default variant's validation NDCG@10 at the best epoch (from the training log for
    trials stored before summaries kept it)."""
    stored = summary["variants"][DEFAULT_VARIANT].get("valid_metrics")
    if stored:
        return stored[METRIC]
    log = pd.read_csv(store.trial_dir(key) / "log.csv")
    return float(log.loc[log["epoch"] == summary["best_epoch"], f"valid_{METRIC}"].iloc[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("--reference", nargs=2, metavar=("STORE", "ROW"), help="test every row against this row")
    args = parser.parse_args()
    records, per_user = trials(args.store)
    reference = None
    if args.reference:
        reference = f"{args.reference[1]} (reference)"
        extra, extra_users = trials(Path(args.reference[0]), args.reference[1], reference)
        records, per_user = records + extra, pd.concat([per_user, extra_users], ignore_index=True)
    if not records:
        raise SystemExit(f"{args.store}: no finished SASRec trial")
    frame = pd.DataFrame(records)
    table = frame.groupby("row").agg(
        seeds=("seed", "count"),
        valid=("valid", "mean"),
        test=("test", "mean"),
        epochs=("epochs", "mean"),
        seconds=("seconds", "mean"),
    )
    per_seed = frame.pivot_table(index="row", columns="seed", values="test")
    tests = compare_rows(per_user, EVALUATION, reference=reference).set_index("row") if reference else None
    lines = []
    for row, values in table.sort_values("valid", ascending=False).iterrows():
        p = "" if tests is None or row == reference else f"{tests.loc[row, 'p_adjusted']:.3f}"
        seeds = ", ".join(f"{value:.4f}" for value in per_seed.loc[row].dropna())
        lines.append(
            [
                row,
                values.seeds,
                f"{values.valid:.4f}",
                f"{values.test:.4f}",
                seeds,
                f"{values.epochs:.0f}",
                f"{values.seconds:.0f}",
                p,
            ]
        )
    headers = ["row", "seeds", "valid N@10", "test N@10", "test per seed", "epochs", "train s", "p vs reference"]
    print(tabulate(lines, headers=headers, disable_numparse=True))


if __name__ == "__main__":
    main()
