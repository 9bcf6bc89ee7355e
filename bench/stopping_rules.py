"""How the chosen epoch, and the test score it gives, move with the early-stopping rule (issue 25).

Each method of a config (default: benchmark.yaml, its own parameters, not its tuned: ones) trains for `--epochs`
epochs with no early stopping, on each `--seed`; every epoch is scored on validation, and, for
this measurement only, on test (the suite's selection never reads test; here the test column
only shows what each rule would have reported). The epoch logs are written to
`results/stopping-rules/<method>-s<seed>.csv`, and a rerun skips the ones already there.

Each rule is then replayed on the validation curve:
- `patience P`: stop after P epochs without a gain, keep the best epoch (P = 10, 20, 30);
- `min 20 + patience 10`: no stop before epoch 20;
- `smoothed 3 + patience 10`: the same on the mean of the last 3 validation scores, keeping the
  epoch whose smoothed score is best.

The table gives, per method and rule, the mean chosen epoch, the epochs it trains, its
held-out validation score, and the test score at the epoch it picks on the whole validation
curve (mean and spread over seeds). Held-out validation judges a rule without the test split:
the users are split in two fixed halves, the rule picks an epoch on one half's curve and is
scored on the other's (both ways, averaged), so a rule that chases noise scores lower. The
default is chosen on that alone: the best mean held-out score over every method and seed, the
cheaper rule (fewer epochs trained) on a tie.

It also prints, from the same curves, how often a cheaper validation (every 2 or 3 epochs, or
half the users) picks the epoch that every epoch's validation over all users picks under the
chosen rule, and the test score that changes by (issue 26).

    python bench/stopping_rules.py --methods sasrec tiger --seed 0 --seed 1 --seed 2 --epochs 50
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
from tabulate import tabulate

from suite.config import load_config
from suite.context import TrainContext
from suite.matrix import Variant, canonical_json, expand
from suite.metrics import rank_metrics
from suite.store import Store, write_frame
from suite.trial import fit_trial
from suite.types import DEFAULT_VARIANT

OUT = Path("results/stopping-rules")
RULES = {
    "patience 10": {"patience": 10},
    "patience 20": {"patience": 20},
    "patience 30": {"patience": 30},
    "min 20 + patience 10": {"patience": 10, "minimum": 20},
    "smoothed 3 + patience 10": {"patience": 10, "window": 3},
}
TOLERANCE = 0.0  # of held-out validation NDCG within which a cheaper rule counts as as good: none, cost breaks ties


class ScoredOnTest(TrainContext):
    """A context that also keeps each epoch's validation score on two fixed halves of the users
    and, for this measurement only, the test score."""

    def validate(self, method) -> dict[str, float]:
        k = min(max(self.ks), self.data.n_items)
        top = method.recommend(self.data.valid_histories(self.history), k)
        per_user = rank_metrics(top.items, self.data.valid_targets(), self.ks)
        half = np.random.default_rng(0).permutation(len(top.items)) % 2 == 0
        chosen = per_user[self.select_metric]
        test = method.recommend(self.data.test_histories(self.history), k)
        scores = self.__dict__.setdefault("halves", [])
        scores.append(
            {
                "valid_a": float(chosen[half].mean()),
                "valid_b": float(chosen[~half].mean()),
                "test": float(rank_metrics(test.items, self.data.test_targets(), self.ks)[self.select_metric].mean()),
            }
        )
        return {name: float(values.mean()) for name, values in per_user.items()}


def epoch_log(config, method: str, seed: int, epochs: int, out: Path) -> pd.DataFrame:
    path = out / f"{method}-s{seed}.csv"
    if path.is_file():
        return pd.read_csv(path)
    spec = next(s for s in expand(config) if s.method == method and s.seed == seed)
    params = {**spec.params, "epochs": epochs, "patience": epochs}
    spec = replace(spec, params_json=canonical_json(params), variants=(Variant(DEFAULT_VARIANT),))
    work = Store(out / "work")
    work.checkpoint_file(spec.key).unlink(missing_ok=True)  # the test column is not checkpointed: start over
    _, run = fit_trial(spec, work, context=ScoredOnTest)
    work.checkpoint_file(spec.key).unlink(missing_ok=True)
    metric = f"valid_{spec.select_metric}"
    log = pd.DataFrame({"epoch": [r["epoch"] for r in run.log], "valid": [r[metric] for r in run.log]})
    log = pd.concat([log, pd.DataFrame(run.halves)], axis=1)
    log["seconds"] = run.elapsed() / len(log)
    write_frame(path, log)
    return log


def replay(valid: np.ndarray, patience: int, minimum: int = 0, window: int = 1) -> tuple[int, int]:
    """(chosen epoch index, epochs trained) of a rule on a validation curve."""
    signal = np.array([valid[max(0, i - window + 1) : i + 1].mean() for i in range(len(valid))])
    best, best_at = -np.inf, 0
    for i, score in enumerate(signal):
        if score > best:
            best, best_at = score, i
        elif i + 1 >= minimum and i - best_at >= patience:
            return best_at, i + 1
    return best_at, len(valid)


def measure(logs: dict[tuple[str, int], pd.DataFrame]) -> pd.DataFrame:
    """Per (method, seed, rule): the epoch the rule picks on the whole validation curve, the
    epochs it trains, its held-out validation score (picked on one half of the users, scored on
    the other, both ways, averaged) and the test score at the picked epoch."""
    records = []
    for (method, seed), log in logs.items():
        valid, test = log["valid"].to_numpy(), log["test"].to_numpy()
        a, b = log["valid_a"].to_numpy(), log["valid_b"].to_numpy()
        for rule, settings in RULES.items():
            chosen, trained = replay(valid, **settings)
            held_out = (b[replay(a, **settings)[0]] + a[replay(b, **settings)[0]]) / 2
            records.append(
                {
                    "method": method,
                    "seed": seed,
                    "rule": rule,
                    "chosen epoch": chosen + 1,
                    "epochs trained": trained,
                    "held-out valid": held_out,
                    "test": test[chosen],
                }
            )
    return pd.DataFrame(records)


CHEAPER = {  # a cheaper validation signal: (curve column, validate every k epochs, share of the decoding)
    "every epoch, all users": ("valid", 1, 1.0),
    "every 2 epochs": ("valid", 2, 0.5),
    "every 3 epochs": ("valid", 3, 1 / 3),
    "half the users": ("valid_a", 1, 0.5),
}


def cheaper_validation(logs: dict[tuple[str, int], pd.DataFrame], patience: int) -> pd.DataFrame:
    """Issue 26: how often a cheaper validation picks the epoch that every epoch's full validation
    picks under the rule `patience P`, and the test score it gives instead."""
    records = []
    for (method, _), log in logs.items():
        reference = replay(log["valid"].to_numpy(), patience)[0]
        for name, (column, every, share) in CHEAPER.items():
            checked = np.arange(every - 1, len(log), every)  # the epochs it validates
            picked, _ = replay(log[column].to_numpy()[checked], max(1, patience // every))
            epoch = checked[picked]
            records.append(
                {
                    "method": method,
                    "validation": name,
                    "same epoch": epoch == reference,
                    "test change": log["test"].iloc[epoch] - log["test"].iloc[reference],
                    "decoding share": share,
                }
            )
    frame = pd.DataFrame(records)
    return (
        frame.groupby(["method", "validation"], sort=False)
        .agg(
            runs=("same epoch", "size"),
            same_epoch=("same epoch", "mean"),
            test_change=("test change", "mean"),
            decoding_share=("decoding share", "first"),
        )
        .reset_index()
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="benchmark.yaml")
    parser.add_argument("--methods", nargs="+", default=["sasrec", "tiger"])
    parser.add_argument("--seed", type=int, action="append", dest="seeds")
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    config = load_config(args.config, take_tuned=False)
    logs = {
        (method, seed): epoch_log(config, method, seed, args.epochs, args.out)
        for method in args.methods
        for seed in args.seeds or [0]
    }
    frame = measure(logs)
    table = (
        frame.groupby(["method", "rule"], sort=False)
        .agg(
            seeds=("seed", "size"),
            chosen_epoch=("chosen epoch", "mean"),
            epochs_trained=("epochs trained", "mean"),
            held_out_valid=("held-out valid", "mean"),
            test_mean=("test", "mean"),
            test_std=("test", "std"),
        )
        .reset_index()
    )
    print(tabulate(table, headers="keys", showindex=False, floatfmt=".4f"))
    overall = frame.groupby("rule", sort=False).agg(
        held_out=("held-out valid", "mean"), cost=("epochs trained", "mean")
    )
    eligible = overall[overall["held_out"] >= overall["held_out"].max() - TOLERANCE]
    chosen = eligible.sort_values("cost", kind="stable").index[0]
    print(tabulate(overall.reset_index(), headers="keys", showindex=False, floatfmt=".4f"))
    print(f"chosen on validation alone: {chosen} (the best mean held-out validation; cost breaks ties)")
    patience = RULES[chosen]["patience"]
    print("\nCheaper validation against every epoch's, under the chosen rule (issue 26): the share of runs")
    print("that pick the same epoch, and the test change")
    print(tabulate(cheaper_validation(logs, patience), headers="keys", showindex=False, floatfmt=".4f"))


if __name__ == "__main__":
    main()
