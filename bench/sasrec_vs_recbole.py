"""`make bench`: the suite's SASRec against recbole's own pipeline on the same data, same run.

Both train recbole's SASRec class on ML-100K (from the recbole wheel), leave-one-out by time,
history 50, CE over all items, for the same number of epochs, and report seconds per epoch
and validation NDCG@10 (full ranking). recbole's pipeline trains on every prefix of every
sequence, as the suite's default regimen (`training: prefixes`) does; the suite's `windows`
regimen trains every position of a window in one causal pass, and is also timed.

`--converged` is the quality floor instead: both train to early stopping on validation
NDCG@10 with the same patience, and the test NDCG@10 of the suite's SASRec (its default
configuration, as in `make benchmark`) is compared with recbole's. On 2 CPU cores recbole's
side takes hours.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import tempfile
import time
from pathlib import Path

import torch
from tabulate import tabulate

from baselines.sasrec import SASRec
from suite.compat import numpy_aliases, trusted_trainer_checkpoints
from suite.config import DatasetConfig, Resources
from suite.context import TrainContext
from suite.data.prepare import prepare
from suite.data.sources import builtin_path
from suite.matrix import DEFAULT_VARIANT, TrialSpec, Variant, canonical_json
from suite.store import Store
from suite.training import seed_everything
from suite.trial import run_trial

# the suite's two training regimens, each with its batch size
REGIMENS = {"prefixes": {"training": "prefixes"}, "windows": {"training": "windows", "batch_size": 128}}


def suite_sasrec(epochs: int, seed: int, regimen: str) -> list[dict[str, float]]:
    """Per epoch: wall seconds since the start of training and validation NDCG@10."""
    seed_everything(seed)
    data = prepare(DatasetConfig(name="ml-100k", loader="atomic"))
    method = SASRec({**REGIMENS[regimen], "epochs": epochs, "patience": epochs})
    clock = time.perf_counter()
    curve: list[dict[str, float]] = []
    run = TrainContext(
        data=data,
        params=method.params,
        seed=seed,
        device=torch.device("cpu"),
        history=50,
        on_epoch=lambda row: curve.append({"seconds": time.perf_counter() - clock, "ndcg": row["valid_ndcg@10"]}),
    )
    method.fit(run)
    return curve


def suite_sasrec_converged(seed: int, threads: int, max_epochs: int) -> dict[str, float]:
    """The default benchmark's SASRec trial (defaults, early stopping): test NDCG@10 and its cost."""
    spec = TrialSpec(
        dataset=DatasetConfig(name="ml-100k", loader="atomic"),
        method="sasrec",
        method_class="sasrec",
        params_json=canonical_json({**SASRec.defaults, "epochs": max_epochs}),
        grid_label="",
        seed=seed,
        variants=(Variant(DEFAULT_VARIANT),),
        ks=(10,),
        select_metric="ndcg@10",
        device="cpu",
        resources=Resources(cpu=threads),
    )
    with tempfile.TemporaryDirectory() as folder:
        clock = time.perf_counter()
        summary = run_trial(spec, Store(Path(folder)))
    return {
        "seconds": time.perf_counter() - clock,
        "epochs": summary["epochs"],
        "test_ndcg@10": summary["variants"][DEFAULT_VARIANT]["metrics"]["ndcg@10"],
    }


def recbole_pipeline(epochs: int, seed: int, workdir: Path, patience: int | None = None) -> dict[str, float]:
    """recbole's pipeline for `epochs` (or until `patience` epochs without a better validation).

    It runs inside `workdir`: recbole's Trainer writes its tensorboard folder under the current
    directory, and that folder then goes away with the workdir.
    """
    from recbole.config import Config
    from recbole.data import create_dataset, data_preparation
    from recbole.trainer import Trainer
    from recbole.utils import init_seed

    from suite.compat import recbole_sasrec

    settings = {
        "data_path": str(builtin_path("ml-100k").parent),
        "checkpoint_dir": str(workdir),
        "load_col": {"inter": ["user_id", "item_id", "timestamp"]},
        "eval_args": {"split": {"LS": "valid_and_test"}, "order": "TO", "group_by": "user", "mode": "full"},
        "train_neg_sample_args": None,
        "loss_type": "CE",
        "MAX_ITEM_LIST_LENGTH": 50,
        "epochs": epochs,
        "stopping_step": patience or epochs,
        "metrics": ["Recall", "NDCG"],
        "topk": [10],
        "valid_metric": "NDCG@10",
        "seed": seed,
        "device": "cpu",
        "use_gpu": False,
        "show_progress": False,
        "state": "WARNING",
        "worker": 0,
    }
    model_class = recbole_sasrec()
    with numpy_aliases(), trusted_trainer_checkpoints(), contextlib.chdir(workdir):
        config = Config(model="SASRec", dataset="ml-100k", config_dict=settings)
        init_seed(config["seed"], config["reproducibility"])
        logging.getLogger().setLevel(logging.WARNING)
        dataset = create_dataset(config)
        train, valid, test = data_preparation(config, dataset)
        model = model_class(config, train.dataset).to(config["device"])
        trainer = Trainer(config, model)
        clock = time.perf_counter()

        def progress(epoch: int, valid_score: float) -> None:
            seconds = time.perf_counter() - clock
            print(f"recbole epoch {epoch + 1}: valid NDCG@10 {valid_score:.4f}, {seconds:.0f} s", flush=True)

        _, valid_result = trainer.fit(train, valid, saved=True, show_progress=False, callback_fn=progress)
        seconds = time.perf_counter() - clock
        test_result = trainer.evaluate(test, load_best_model=True, show_progress=False)
    ran = len(trainer.train_loss_dict)
    return {
        "epochs": ran,
        "seconds": seconds,
        "seconds_per_epoch": seconds / ran,
        "valid_ndcg@10": float(valid_result["ndcg@10"]),
        "test_ndcg@10": float(test_result["ndcg@10"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--suite-epochs", type=int, default=15, help="epochs for windows to reach recbole's NDCG@10")
    parser.add_argument("--converged", action="store_true", help="train both to early stopping; compare test NDCG@10")
    parser.add_argument("--max-epochs", type=int, default=SASRec.defaults["epochs"], help="cap for --converged")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.converged:
        converged(args.seed, args.threads, args.max_epochs)
        return
    with tempfile.TemporaryDirectory() as workdir:
        theirs = recbole_pipeline(args.epochs, args.seed, Path(workdir))
    prefixes = suite_sasrec(args.epochs, args.seed, "prefixes")[-1]
    windows = suite_sasrec(max(args.epochs, args.suite_epochs), args.seed, "windows")
    same = windows[args.epochs - 1]
    reached = next((i for i, row in enumerate(windows) if row["ndcg"] >= theirs["valid_ndcg@10"]), None)

    def row(name: str, epochs: int, seconds: float, ndcg: float) -> list:
        return [name, epochs, seconds / epochs, seconds, ndcg]

    rows = [
        row("recbole run_recbole pipeline (every prefix)", args.epochs, theirs["seconds"], theirs["valid_ndcg@10"]),
        row("suite SASRec, training: prefixes (default)", args.epochs, prefixes["seconds"], prefixes["ndcg"]),
        row("suite SASRec, training: windows", args.epochs, same["seconds"], same["ndcg"]),
    ]
    if reached is not None:
        at = windows[reached]
        rows.append(row("suite SASRec, windows, at recbole's NDCG@10", reached + 1, at["seconds"], at["ndcg"]))
    print(f"SASRec on ML-100K, {args.threads} CPU thread(s), seed {args.seed}; s/epoch includes validation")
    print(tabulate(rows, headers=["pipeline", "epochs", "s/epoch", "seconds", "valid NDCG@10"], floatfmt=".4f"))
    for name, seconds in (("prefixes", prefixes["seconds"]), ("windows", same["seconds"])):
        print(f"speed-up per epoch of {name} over recbole's pipeline: {theirs['seconds'] / seconds:.1f}x")
    if reached is None:
        print(f"the windows regimen did not reach recbole's NDCG@10 within {len(windows)} epochs")
    else:
        print(
            f"windows at equal NDCG@10: {theirs['seconds'] / windows[reached]['seconds']:.1f}x faster "
            f"({windows[reached]['seconds']:.0f} s against recbole's {theirs['seconds']:.0f} s)"
        )


def converged(seed: int, threads: int, max_epochs: int) -> None:
    """The floor of the issue: the suite's SASRec reaches recbole's own test NDCG@10."""
    with tempfile.TemporaryDirectory() as workdir:
        theirs = recbole_pipeline(max_epochs, seed, Path(workdir), patience=SASRec.defaults["patience"])
    print(f"recbole: {theirs['epochs']} epochs, {theirs['seconds']:.0f} s, test NDCG@10 {theirs['test_ndcg@10']:.4f}")
    ours = suite_sasrec_converged(seed, threads, max_epochs)
    rows = [
        ["recbole run_recbole pipeline", theirs["epochs"], theirs["seconds"], theirs["test_ndcg@10"]],
        ["suite SASRec (benchmark defaults)", ours["epochs"], ours["seconds"], ours["test_ndcg@10"]],
    ]
    print(f"SASRec on ML-100K to early stopping, {threads} CPU thread(s), seed {seed}")
    print(tabulate(rows, headers=["pipeline", "epochs", "seconds", "test NDCG@10"], floatfmt=".4f"))
    verdict = "meets" if ours["test_ndcg@10"] >= theirs["test_ndcg@10"] else "misses"
    print(
        f"the suite {verdict} recbole's floor: test NDCG@10 ratio {ours['test_ndcg@10'] / theirs['test_ndcg@10']:.2f}, "
        f"time ratio {theirs['seconds'] / ours['seconds']:.1f}x"
    )


if __name__ == "__main__":
    main()
