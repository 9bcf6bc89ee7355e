"""The SASRec floor: the suite's SASRec against recbole's own pipeline, both trained to the end.

For one seed, recbole's pipeline (`sasrec_vs_recbole.recbole_pipeline`, on the suite's exact
split) trains SASRec to early stopping on validation NDCG@10 with the suite's patience, and
its best model's test metrics are computed per user by the suite's metric code. The suite's
side is the default benchmark's `sasrec` trial at the same seed, read from a results folder
(`--suite-store`) or trained here. Each seed's per-user results are written atomically under
`--out`, and a seed found there is not run again. The script ends with the comparison over
every seed under `--out`: mean test metrics, each seed's NDCG@10, and the paired Wilcoxon test
on per-user values averaged over seeds, as the leaderboard tests its rows.

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
from suite.store import Store, write_frame, write_json
from suite.trial import run_trial
from suite.types import DEFAULT_VARIANT, DatasetConfig, EvaluationConfig, Resources

EVALUATION = EvaluationConfig()
KS = EVALUATION.ks
RECBOLE, SUITE = "recbole run_recbole", "suite sasrec"
FILES = {RECBOLE: "recbole.parquet", SUITE: "suite.parquet"}


def suite_from_store(root: Path, seed: int) -> tuple[pd.DataFrame, dict]:
    """Per-user test metrics and summary of the stored `sasrec` trial at `seed` (default parameters)."""
    store = Store(root)
    for key in store.trial_keys():
        spec = store.read_spec(key)
        if spec["method_class"] == "sasrec" and spec["seed"] == seed and spec["params"] == SASRec.defaults:
            return default_metrics(store.read_per_user(key)), store.read_summary(key)
    raise SystemExit(f"{root}: no finished sasrec trial with seed {seed} and default parameters")


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


def run_seed(seed: int, threads: int, out: Path, suite_store: Path | None, sides: tuple[str, ...]) -> None:
    """The `sides` at `seed`, each skipped when its per-user file is already under `out`."""
    folder = out / f"seed{seed}"
    if RECBOLE in sides and not (folder / FILES[RECBOLE]).is_file():
        clock = time.perf_counter()
        with tempfile.TemporaryDirectory() as workdir:
            theirs = recbole_pipeline(SASRec.defaults["epochs"], seed, Path(workdir), SASRec.defaults["patience"], KS)
        own, mine = theirs["test_ndcg@10"], theirs["per_user"]["ndcg@10"].mean()
        seconds = time.perf_counter() - clock
        write_json(folder / "recbole.json", {"epochs": theirs["epochs"], "seconds": seconds, "test_ndcg@10": own})
        write_frame(folder / FILES[RECBOLE], theirs["per_user"])
        print(f"seed {seed}: recbole {theirs['epochs']} epochs, test NDCG@10 {own:.4f} (by the suite: {mine:.4f})")
    if SUITE in sides and not (folder / FILES[SUITE]).is_file():
        per_user, summary = suite_from_store(suite_store, seed) if suite_store else suite_trained(seed, threads)
        source = str(suite_store or "trained here")
        write_json(
            folder / "suite.json",
            {"epochs": summary["epochs"], "train_seconds": summary["train_seconds"], "from": source},
        )
        write_frame(folder / FILES[SUITE], per_user)


def collected(out: Path) -> pd.DataFrame:
    """Per-user rows (row, seed, user, metrics) of every seed under `out` that has both sides."""
    parts = []
    for folder in sorted(out.glob("seed*")):
        if all((folder / name).is_file() for name in FILES.values()):
            for row, name in FILES.items():
                part = pd.read_parquet(folder / name)
                part["user"] = part["user"].astype(str)
                parts.append(part.assign(dataset="ml-100k", row=row, seed=int(folder.name.removeprefix("seed"))))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def report(out: Path) -> None:
    frame = collected(out)
    if frame.empty:
        print(f"{out}: no seed has both sides yet; `make bench-floor` trains them (hours on a laptop)")
        return
    table = compare_rows(frame, EVALUATION, reference=RECBOLE).set_index(["row", "metric"])
    per_seed = frame.groupby(["row", "seed"])["ndcg@10"].mean().unstack("seed")
    rows = []
    for row in (RECBOLE, SUITE):
        cells = [f"{table.loc[(row, metric), 'mean']:.4f}" for metric in EVALUATION.metrics]
        seeds = ", ".join(f"{value:.4f}" for value in per_seed.loc[row])
        p = table.loc[(row, "ndcg@10"), "p_adjusted"]
        rows.append([row, *cells, seeds, "" if pd.isna(p) else f"{p:.3f}"])
    print(f"SASRec on ML-100K, test metrics to early stopping, seeds {list(per_seed.columns)}")
    headers = ["pipeline", *EVALUATION.metrics, "NDCG@10 per seed", f"p, NDCG@10 ({EVALUATION.correction})"]
    print(tabulate(rows, headers=headers, disable_numparse=True))
    ours, theirs = table.loc[(SUITE, "ndcg@10"), "mean"], table.loc[(RECBOLE, "ndcg@10"), "mean"]
    verdict = "meets" if ours >= theirs else "misses"
    significant = "" if table.loc[(SUITE, "ndcg@10"), "significant"] else "not "
    print(
        f"the suite {verdict} recbole's floor: test NDCG@10 ratio {ours / theirs:.3f}, "
        f"a difference {significant}significant at {EVALUATION.alpha} (Wilcoxon, {EVALUATION.correction})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, action="append", help="a seed to run (repeatable); none: report only")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("results/sasrec-floor"))
    parser.add_argument("--suite-store", type=Path, help="read the suite's trials from this results folder")
    parser.add_argument("--only", choices=("recbole", "suite"), help="run one side only")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    for seed in args.seed or []:
        sides = {"recbole": (RECBOLE,), "suite": (SUITE,), None: (RECBOLE, SUITE)}[args.only]
        run_seed(seed, args.threads, args.out, args.suite_store, sides)
    report(args.out)


if __name__ == "__main__":
    main()
