"""`make bench`: the suite's SASRec against recbole's own pipeline on the same data, same run.

Both train recbole's SASRec class on ML-100K (from the recbole wheel), leave-one-out by time,
history 50, CE over all items, for the same number of epochs, and report seconds per epoch
and validation NDCG@10 (full ranking). recbole's pipeline trains on every prefix of every
sequence; the suite trains every position of a window in one causal pass.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path

import torch
from tabulate import tabulate

from baselines.sasrec import SASRec
from suite.compat import numpy_aliases, trusted_trainer_checkpoints
from suite.config import DatasetConfig
from suite.context import TrainContext
from suite.data.prepare import prepare
from suite.data.sources import builtin_path
from suite.training import seed_everything


def suite_sasrec(epochs: int, seed: int) -> dict[str, float]:
    seed_everything(seed)
    data = prepare(DatasetConfig(name="ml-100k", loader="atomic"))
    method = SASRec({"epochs": epochs, "patience": epochs})
    run = TrainContext(data=data, params=method.params, seed=seed, device=torch.device("cpu"), history=50)
    clock = time.perf_counter()
    method.fit(run)
    seconds = time.perf_counter() - clock
    return {"seconds_per_epoch": seconds / epochs, "valid_ndcg@10": run.log[-1]["valid_ndcg@10"]}


def recbole_sasrec(epochs: int, seed: int, workdir: Path) -> dict[str, float]:
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
        "stopping_step": epochs,
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
    with numpy_aliases(), trusted_trainer_checkpoints():
        config = Config(model="SASRec", dataset="ml-100k", config_dict=settings)
        init_seed(config["seed"], config["reproducibility"])
        logging.getLogger().setLevel(logging.WARNING)
        dataset = create_dataset(config)
        train, valid, test = data_preparation(config, dataset)
        model = model_class(config, train.dataset).to(config["device"])
        trainer = Trainer(config, model)
        clock = time.perf_counter()
        _, valid_result = trainer.fit(train, valid, saved=True, show_progress=False)
        seconds = time.perf_counter() - clock
        test_result = trainer.evaluate(test, load_best_model=True, show_progress=False)
    return {
        "seconds_per_epoch": seconds / epochs,
        "valid_ndcg@10": float(valid_result["ndcg@10"]),
        "test_ndcg@10": float(test_result["ndcg@10"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    ours = suite_sasrec(args.epochs, args.seed)
    with tempfile.TemporaryDirectory() as workdir:
        theirs = recbole_sasrec(args.epochs, args.seed, Path(workdir))
    rows = [
        ["suite SASRec (windows, causal all-positions loss)", ours["seconds_per_epoch"], ours["valid_ndcg@10"]],
        ["recbole run_recbole pipeline (every prefix)", theirs["seconds_per_epoch"], theirs["valid_ndcg@10"]],
    ]
    print(f"SASRec on ML-100K, {args.epochs} epochs, {args.threads} CPU thread(s), seed {args.seed}")
    print(tabulate(rows, headers=["pipeline", "s/epoch", "valid NDCG@10"], floatfmt=".4f"))
    print(
        f"speed-up: {theirs['seconds_per_epoch'] / ours['seconds_per_epoch']:.1f}x per epoch; "
        f"NDCG@10 ratio (suite / recbole): {ours['valid_ndcg@10'] / theirs['valid_ndcg@10']:.2f}"
    )


if __name__ == "__main__":
    main()
