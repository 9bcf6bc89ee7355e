"""`make bench`: the suite's SASRec against recbole's own pipeline on the same data, same run.

Both train recbole's SASRec class on ML-100K (from the recbole wheel), leave-one-out by time,
history 50, CE over all items, for the same number of epochs, and report seconds per epoch
and validation NDCG@10 (full ranking). recbole's pipeline trains on every prefix of every
sequence, as the suite's `training: prefixes` does; the suite's default regimen (`windows`)
trains every position of a window in one causal pass, and is also timed.

recbole is given the suite's exact split (`recbole_copy_in_suite_order`). The quality floor,
both trained to early stopping, is `bench/sasrec_floor.py`.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from tabulate import tabulate

from baselines.sasrec import SASRec
from suite.compat import numpy_aliases, trusted_trainer_checkpoints
from suite.context import TrainContext
from suite.data.prepare import prepare
from suite.data.sources import builtin_path
from suite.metrics import rank_metrics
from suite.training import seed_everything
from suite.types import DatasetConfig

SUITE_ORDER = "ml-100k-in-suite-order"
"""recbole's name for ML-100K with ranked timestamps (`recbole_copy_in_suite_order`)."""

RECBOLE_SETTINGS = {
    "load_col": {"inter": ["user_id", "item_id", "timestamp"]},
    "eval_args": {"split": {"LS": "valid_and_test"}, "order": "TO", "group_by": "user", "mode": "full"},
    "train_neg_sample_args": None,
    "loss_type": "CE",
    "MAX_ITEM_LIST_LENGTH": 50,
    "valid_metric": "NDCG@10",
    "device": "cpu",
    "use_gpu": False,
    "show_progress": False,
    "state": "WARNING",
    "worker": 0,
}
"""recbole's SASRec pipeline as the suite runs it: leave-one-out by time, full ranking, CE, history 50."""

# the suite's two training regimens: recbole's, with its batch size, and the default
REGIMENS = {"prefixes": {"training": "prefixes", "batch_size": 2048}, "windows": {}}


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


def recbole_copy_in_suite_order(workdir: Path, source: Path | None = None) -> Path:
    """A copy of an atomic `.inter` file (ML-100K's by default) with each timestamp replaced by its
    dense rank, so that recbole splits it as the suite does.

    recbole scales float fields to [0, 1] and sorts them as float32, which merges timestamps
    about a second apart, so its leave-one-out split differs from the suite's for a few users
    (4 test targets, 5 validation targets, 37 test histories on ML-100K). Scaled ranks stay
    apart in float32 and keep the order and the ties, and recbole's stable sort breaks ties
    by file order as the suite does. The copy is dataset `SUITE_ORDER` (recbole reads
    `ml-100k` from its own folder whatever `data_path` says); returns recbole's `data_path`.
    """
    lines = (source or builtin_path("ml-100k") / "ml-100k.inter").read_text().splitlines()
    header = lines[0].split("\t")
    column = header.index("timestamp:float")
    rows = [line.split("\t") for line in lines[1:] if line]
    stamps = np.array([float(row[column]) for row in rows])
    ranks = np.unique(stamps, return_inverse=True)[1]
    for row, rank in zip(rows, ranks, strict=True):
        row[column] = str(int(rank))
    folder = workdir / "data" / SUITE_ORDER
    folder.mkdir(parents=True)
    (folder / f"{SUITE_ORDER}.inter").write_text("\n".join("\t".join(row) for row in [header, *rows]) + "\n")
    return folder.parent


def recbole_per_user(model: torch.nn.Module, test: Any, dataset: Any, ks: tuple[int, ...]) -> pd.DataFrame:
    """Per-user test metrics of recbole's trained model, computed by the suite's metric code."""
    rows = test.dataset.inter_feat
    target = rows["item_id"].numpy()
    tops = []
    model.eval()
    with torch.no_grad():
        for start in range(0, len(rows), 1024):
            scores = model.full_sort_predict(rows[start : start + 1024]).view(-1, dataset.item_num)
            scores[:, 0] = -torch.inf  # the padding item
            tops.append(torch.topk(scores, max(ks), dim=-1).indices.numpy())
    frame = pd.DataFrame(rank_metrics(np.concatenate(tops), target, ks))
    frame.insert(0, "user", dataset.id2token("user_id", rows["user_id"].numpy()))
    return frame


def recbole_split(workdir: Path, seed: int, settings: dict | None = None, source: Path | None = None) -> tuple:
    """recbole's config, dataset and (train, valid, test) loaders for its SASRec, on a copy of
    `source` in the suite's order (`recbole_copy_in_suite_order`); `settings` add to recbole's."""
    import recbole
    from recbole.config import Config
    from recbole.data import create_dataset, data_preparation
    from recbole.utils import init_seed

    settings = {
        **RECBOLE_SETTINGS,
        "data_path": str(recbole_copy_in_suite_order(workdir, source)),
        "checkpoint_dir": str(workdir),
        "seed": seed,
        **(settings or {}),
    }
    ml100k = Path(recbole.__file__).parent / "properties" / "dataset" / "ml-100k.yaml"  # its ML-100K settings
    with numpy_aliases():
        config = Config(model="SASRec", dataset=SUITE_ORDER, config_file_list=[str(ml100k)], config_dict=settings)
        init_seed(config["seed"], config["reproducibility"])
        logging.getLogger().setLevel(logging.WARNING)
        dataset = create_dataset(config)
        return config, dataset, data_preparation(config, dataset)


def recbole_pipeline(
    epochs: int, seed: int, workdir: Path, patience: int | None = None, ks: tuple[int, ...] = (10,)
) -> dict[str, Any]:
    """recbole's pipeline for `epochs` (or until `patience` epochs without a better validation),
    on the suite's split (`recbole_copy_in_suite_order`).

    It runs inside `workdir`: recbole's Trainer writes its tensorboard folder under the current
    directory, and that folder then goes away with the workdir. `per_user` holds the best
    model's test metrics per user at `ks`.
    """
    from recbole.trainer import Trainer

    from suite.compat import recbole_sasrec

    settings = {"epochs": epochs, "stopping_step": patience or epochs, "metrics": ["Recall", "NDCG"], "topk": [10]}
    model_class = recbole_sasrec()
    with numpy_aliases(), trusted_trainer_checkpoints(), contextlib.chdir(workdir):
        config, dataset, (train, valid, test) = recbole_split(workdir, seed, settings)
        model = model_class(config, train.dataset).to(config["device"])
        trainer = Trainer(config, model)
        clock = time.perf_counter()

        def progress(epoch: int, valid_score: float) -> None:
            seconds = time.perf_counter() - clock
            print(f"recbole epoch {epoch + 1}: valid NDCG@10 {valid_score:.4f}, {seconds:.0f} s", flush=True)

        _, valid_result = trainer.fit(train, valid, saved=True, show_progress=False, callback_fn=progress)
        seconds = time.perf_counter() - clock
        test_result = trainer.evaluate(test, load_best_model=True, show_progress=False)
        per_user = recbole_per_user(trainer.model, test, dataset, ks)
    ran = len(trainer.train_loss_dict)
    return {
        "per_user": per_user,
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
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
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
        row("suite SASRec, training: prefixes", args.epochs, prefixes["seconds"], prefixes["ndcg"]),
        row("suite SASRec, training: windows (default)", args.epochs, same["seconds"], same["ndcg"]),
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


if __name__ == "__main__":
    main()
