"""The SASRec floor: the suite's SASRec against recbole's own pipeline, both trained to the end.

For one seed, recbole's pipeline (`sasrec_vs_recbole.recbole_pipeline`, on the suite's exact
split) trains SASRec to early stopping on validation NDCG@10 with the suite's patience, and
its best model's test metrics are computed per user by the suite's metric code. The suite's
side is the default benchmark's `sasrec` trial at the same seed, read from a results folder
(`--suite-store`) or trained here; with `--row`, the stored SASRec row of that name (for
example a tuned every-position regimen) instead. Each seed's per-user results are written
atomically under `--out`, and a seed found there is not run again. The script ends with the
comparison over every seed under `--out` that has both sides: mean test metrics, each seed's
NDCG@10, the paired Wilcoxon test on per-user values averaged over seeds, as the leaderboard
tests its rows, and the suite's training seconds as a share of recbole's.

On 2 CPU cores each side takes 1.5 to 2.5 hours a seed; `make bench-floor` runs seeds 0 and 1
side by side, and `make bench` prints the comparison of what is there:

    python bench/sasrec_floor.py --seed 0 --suite-store results/reference/ml100k-store &
    python bench/sasrec_floor.py --seed 1 --suite-store results/reference/ml100k-store; wait
    python bench/sasrec_floor.py
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd
import torch
from sasrec_vs_recbole import recbole_pipeline
from tabulate import tabulate

from baselines.sasrec import SASRec
from suite.matrix import TrialSpec, Variant, canonical_json
from suite.report.leaderboard import compare_rows
from suite.scoring import score_variant
from suite.store import Store, read_json_file, write_frame, write_json
from suite.trial import run_trial
from suite.types import DEFAULT_VARIANT, DatasetConfig, EvaluationConfig, Resources

EVALUATION = EvaluationConfig()
KS = EVALUATION.ks
RECBOLE = "recbole run_recbole"


def suite_side(row: str | None) -> str:
    """The suite side's name in tables and, with `.parquet`/`.json`, its files in a seed folder."""
    return f"suite-{row}" if row else "suite"


def suite_from_store(root: Path, seed: int, row: str | None = None) -> tuple[pd.DataFrame, dict]:
    """Per-user test metrics and summary of the stored SASRec trial at `seed`: the row named
    `row`, or without one the `sasrec` trial with default parameters."""
    store = Store(root)
    for key in store.trial_keys():
        spec = store.read_spec(key)
        if spec["method_class"] != "sasrec" or spec["seed"] != seed:
            continue
        if (spec["method"] == row) if row else (spec["params"] == SASRec.defaults):
            return default_metrics(store.read_per_user(key)), store.read_summary(key)
    wanted = f"row {row!r}" if row else "default parameters"
    raise SystemExit(f"{root}: no finished sasrec trial with seed {seed} and {wanted}")


def suite_trained(seed: int, threads: int) -> tuple[pd.DataFrame, dict]:
    """The default benchmark's `sasrec` trial at `seed`, trained here on the CPU."""
    spec = TrialSpec(
        dataset=DatasetConfig(name="ml-100k", loader="atomic"),
        method="sasrec",
        method_class="sasrec",
        params_json=canonical_json(SASRec.defaults),
        grid_label="",
        seed=seed,
        variants=(Variant(DEFAULT_VARIANT),),
        select_metric=EVALUATION.select_metric,
        device="cpu",
        resources=Resources(cpu=threads),
    )
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder))
        summary = run_trial(spec, store)
        per_user = store.read_per_user(summary["key"])
    return default_metrics(per_user), summary


def default_metrics(per_user: pd.DataFrame) -> pd.DataFrame:
    """Per-user metrics (user, <metrics>) of the default variant of a stored per-user file."""
    return score_variant(per_user[per_user["variant"] == DEFAULT_VARIANT], EVALUATION.metrics, None).per_user


def run_seed(
    seed: int, threads: int, out: Path, suite_store: Path | None, sides: tuple[str, ...], row: str | None = None
) -> None:
    """The `sides` ("recbole", "suite") at `seed`, each skipped when its per-user file is already
    under `out`; the suite side is `row` of `suite_store` (see `suite_from_store`)."""
    folder = out / f"seed{seed}"
    if "recbole" in sides and not (folder / "recbole.parquet").is_file():
        clock = time.perf_counter()
        with tempfile.TemporaryDirectory() as workdir:
            theirs = recbole_pipeline(SASRec.defaults["epochs"], seed, Path(workdir), SASRec.defaults["patience"], KS)
        own, mine = theirs["test_ndcg@10"], theirs["per_user"]["ndcg@10"].mean()
        seconds = time.perf_counter() - clock
        write_json(folder / "recbole.json", {"epochs": theirs["epochs"], "seconds": seconds, "test_ndcg@10": own})
        write_frame(folder / "recbole.parquet", theirs["per_user"])
        print(f"seed {seed}: recbole {theirs['epochs']} epochs, test NDCG@10 {own:.4f} (by the suite: {mine:.4f})")
    side = suite_side(row)
    if "suite" in sides and not (folder / f"{side}.parquet").is_file():
        if row and not suite_store:
            raise SystemExit("--row reads a stored trial: give --suite-store too")
        per_user, summary = suite_from_store(suite_store, seed, row) if suite_store else suite_trained(seed, threads)
        source = str(suite_store or "trained here")
        write_json(
            folder / f"{side}.json",
            {"epochs": summary["epochs"], "train_seconds": summary["train_seconds"], "from": source},
        )
        write_frame(folder / f"{side}.parquet", per_user)


def collected(out: Path, row: str | None = None) -> tuple[pd.DataFrame, float]:
    """Per-user rows (row, seed, user, metrics) of every seed under `out` that has both sides,
    and the suite side's total training seconds as a share of recbole's over those seeds."""
    sides = {RECBOLE: "recbole", suite_side(row): suite_side(row)}  # table label: file stem
    parts, seconds = [], dict.fromkeys(sides, 0.0)
    for folder in sorted(out.glob("seed*")):
        if not all((folder / f"{name}.parquet").is_file() for name in sides.values()):
            continue
        for label, name in sides.items():
            part = pd.read_parquet(folder / f"{name}.parquet")
            part["user"] = part["user"].astype(str)
            parts.append(part.assign(dataset="ml-100k", row=label, seed=int(folder.name.removeprefix("seed"))))
            facts = read_json_file(folder / f"{name}.json")
            seconds[label] += facts.get("train_seconds", facts.get("seconds", 0.0))
    if not parts:
        return pd.DataFrame(), float("nan")
    return pd.concat(parts, ignore_index=True), seconds[suite_side(row)] / seconds[RECBOLE]


def report(out: Path, row: str | None = None) -> None:
    frame, time_share = collected(out, row)
    suite = suite_side(row)
    if frame.empty:
        print(f"{out}: no seed has both sides ({suite}) yet; `make bench-floor` trains them (hours on a laptop)")
        return
    table = compare_rows(frame, EVALUATION, reference=RECBOLE).set_index(["row", "metric"])
    per_seed = frame.groupby(["row", "seed"])["ndcg@10"].mean().unstack("seed")
    rows = []
    for label in (RECBOLE, suite):
        cells = [f"{table.loc[(label, metric), 'mean']:.4f}" for metric in EVALUATION.metrics]
        seeds = ", ".join(f"{value:.4f}" for value in per_seed.loc[label])
        p = table.loc[(label, "ndcg@10"), "p_adjusted"]
        rows.append([label, *cells, seeds, "" if pd.isna(p) else f"{p:.3f}"])
    print(f"SASRec on ML-100K, test metrics to early stopping, seeds {list(per_seed.columns)}")
    headers = ["pipeline", *EVALUATION.metrics, "NDCG@10 per seed", f"p, NDCG@10 ({EVALUATION.correction})"]
    print(tabulate(rows, headers=headers, disable_numparse=True))
    ours, theirs = table.loc[(suite, "ndcg@10"), "mean"], table.loc[(RECBOLE, "ndcg@10"), "mean"]
    verdict = "meets" if ours >= theirs else "misses"
    significant = "" if table.loc[(suite, "ndcg@10"), "significant"] else "not "
    print(
        f"the suite ({suite}) {verdict} recbole's floor: test NDCG@10 ratio {ours / theirs:.3f}, "
        f"a difference {significant}significant at {EVALUATION.alpha} (Wilcoxon, {EVALUATION.correction}), "
        f"in {time_share:.3f} of recbole's wall time (the suite's training against recbole's pipeline, over all seeds)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, action="append", help="a seed to run (repeatable); none: report only")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("results/sasrec-floor"))
    parser.add_argument("--suite-store", type=Path, help="read the suite's trials from this results folder")
    parser.add_argument("--only", choices=("recbole", "suite"), help="run one side only")
    parser.add_argument("--row", help="the suite side: this SASRec row of --suite-store (default: the default sasrec)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    for seed in args.seed or []:
        sides = (args.only,) if args.only else ("recbole", "suite")
        run_seed(seed, args.threads, args.out, args.suite_store, sides, args.row)
    report(args.out, args.row)


if __name__ == "__main__":
    main()
