"""`make bench-scale`: each stage of a trial timed on synthetic catalogs of growing size, with
its peak memory and the exponent of its growth.

Catalogs of 10^4, 10^5 and 10^6 items (`--sizes`), each with users by the ten thousand: every
item is interacted with at least once, the rest drawn with power-law popularity (Zipf, s = 1),
sequence lengths log-normal (median 20, 5 to 500). The data is written as a RecBole atomic
file, so loading goes through the suite's own reader. Each (stage, size) runs in a process of
its own, whose peak resident memory is the stage's (the imports, about 0.4 GB, included):

- `load+split`: read the `.inter` file, split leave-one-out;
- `cooccurrence`: the PPMI + SVD item vectors the default SIDs are fitted on;
- `rq-kmeans`, `mh-vqvae`, `rq-vae`: each tokenizer's fit on 64-dim stand-in item vectors
  (the text model is not the subject here: embedding is linear in the catalog, 1 forward pass
  an item), at their default sizes with training cut to `--tokenizer-epochs`;
- `index`: the SID structures a decoder builds (TIGER's prefix trie, the diffusion decoder's
  valid-code index);
- `method:<name>`: one training epoch of each method at a small fixed size on `--train-users`
  users' sequences over the full catalog, as training seconds per 1,000 users (an epoch is
  linear in the users), then decoding users/s on 256 of them with the model it trained, after
  a warm-up call on 8 (the valid-code tables are built on first use, once per model: `index`);
- `softmax`: SASRec's full-catalog loss, forward and backward, on 640 positions against every
  item, as logits a second, and the epoch over every training position of the log it implies
  (what a `trial:sasrec` epoch costs where it runs too long to time whole);
- `store`: bytes per trial of the per-user parquet with ranked lists (100 items), per user;
- `trial:<name>` (only when named in `--stages`): one whole trial of the method through the
  suite's own `run_trial`, as `suite run` trains it: preparation, co-occurrence rq-kmeans SIDs,
  one epoch (one window per user) with its validation, every user decoded on test, the store.

The last table is each stage's fitted exponent b of cost ~ items^b (least squares in log-log
over the sizes that finished). A stage past `--stage-timeout` seconds is reported as such.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from tabulate import tabulate

MEDIAN_LENGTH, MIN_LENGTH, MAX_LENGTH = 20, 5, 500
TOKENIZERS = ("rq-kmeans", "mh-vqvae", "rq-vae")
METHODS = ("sasrec", "tiger", "llada-rec", "madrec", "greed")
SMALL = {"hidden_size": 32, "inner_size": 64, "d_model": 32, "d_ff": 64}
"""Model widths for the training stage: small and equal, as the cost per user is the subject."""
HISTORY = 20
"""The context every method reads here (benchmark.yaml's): the cost per user grows with it."""
COSTS = ("seconds", "per 1k users s", "users/s", "bytes/user", "train s", "epoch s")
"""The costs a stage can report; each one it reports gets a growth exponent."""


def users_for(items: int) -> int:
    return max(10_000, items // 10)


def synthetic_log(items: int, users: int, seed: int = 0) -> pd.DataFrame:
    """user, item, timestamp rows: every item once, the rest by power-law popularity."""
    rng = np.random.default_rng(seed)
    lengths = np.clip(rng.lognormal(np.log(MEDIAN_LENGTH), 0.9, users).astype(int), MIN_LENGTH, MAX_LENGTH)
    popularity = 1.0 / np.arange(1, items + 1)
    drawn = rng.choice(items, size=max(0, lengths.sum() - items), p=popularity / popularity.sum())
    item = rng.permutation(np.concatenate([np.arange(items), drawn]))
    user = np.repeat(np.arange(users), lengths)[: len(item)]
    if len(user) < len(item):  # fewer drawn than the items: the extra items go to random users
        user = np.concatenate([user, rng.integers(0, users, len(item) - len(user))])
    return pd.DataFrame({"user_id:token": user, "item_id:token": item, "timestamp:float": np.arange(len(item))})


def write_atomic_file(frame: pd.DataFrame, folder: Path, name: str) -> Path:
    path = folder / f"{name}.inter"
    frame.to_csv(path, sep="\t", index=False)
    return path


def _prepared(folder: Path):
    import pickle

    return pickle.loads((folder / "prepared.pkl").read_bytes())


def _vectors(n_items: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n_items, 64)).astype(np.float32)


def stage_load(folder: Path, args) -> dict:
    import pickle

    from suite.data.atomic import read_atomic_dataset
    from suite.data.prepare import split_sequences

    data = split_sequences(read_atomic_dataset([folder / "scale.inter"]), min_items=MIN_LENGTH, max_users=None)
    (folder / "prepared.pkl").write_bytes(pickle.dumps(data))
    return {"items": data.n_items, "users": data.n_users}


def stage_cooccurrence(folder: Path, args) -> dict:
    from suite.cooccurrence import cooccurrence_counts, factorize, positive_pmi

    data = _prepared(folder)
    factorize(positive_pmi(cooccurrence_counts(data.train_sequences(), data.n_items, 5)), 64)
    return {}


def stage_tokenizer(name: str):
    def run(folder: Path, args) -> dict:
        from suite.tokenizers.base import complete_tokenizer
        from suite.tokenizers.fitting import fit_semantic_ids

        config = complete_tokenizer({"name": name})
        for key in ("epochs", "iterations"):
            if key in config:
                config[key] = min(config[key], args.tokenizer_epochs)
        ids, _ = fit_semantic_ids(_vectors(_prepared(folder).n_items), config, 0)
        np.save(folder / f"codes-{name}.npy", ids.codes)
        return {"levels": ids.codes.shape[1]}

    return run


def stage_index(folder: Path, args) -> dict:
    import torch

    from suite.semantic_ids.trie import PrefixTrie
    from suite.semantic_ids.valid_codes import ValidCodeIndex

    codes = np.load(folder / "codes-rq-kmeans.npy")
    PrefixTrie(codes, tuple(int(c) for c in codes.max(axis=0) + 1))
    return {"index entries": ValidCodeIndex(torch.from_numpy(codes)).build_all()}


SOFTMAX_POSITIONS = 640
"""Positions of the `softmax` stage's timed piece: ten at a time of each of 64 windows."""


def stage_softmax(folder: Path, args) -> dict:
    """SASRec's full-catalog loss (`catalog_cross_entropy`), forward and backward, on
    `SOFTMAX_POSITIONS` positions of the small width against every item: logits a second, and
    the epoch it implies, every training position of the log once (as `training: windows`
    counts them), at that rate."""
    import torch

    from suite.catalog_topk import catalog_cross_entropy

    data = _prepared(folder)
    generator = torch.Generator().manual_seed(0)
    width = SMALL["hidden_size"]
    table = torch.randn(data.n_items + 1, width, generator=generator, requires_grad=True)
    hidden = torch.randn(SOFTMAX_POSITIONS, width, generator=generator, requires_grad=True)
    targets = torch.randint(1, data.n_items + 1, (SOFTMAX_POSITIONS,), generator=generator)
    catalog_cross_entropy(hidden[:8], table, targets[:8]).backward()  # warm-up
    clock = time.perf_counter()
    catalog_cross_entropy(hidden, table, targets).backward()
    rate = SOFTMAX_POSITIONS * table.shape[0] / (time.perf_counter() - clock)
    positions = sum(len(seq) - 1 for seq in data.train_sequences())
    return {"M logits/s": rate / 1e6, "epoch s": positions * table.shape[0] / rate}


def _timed_context():
    """A TrainContext that counts the seconds spent outside training (SIDs, validation)."""
    from suite.context import TrainContext

    class Context(TrainContext):
        excluded = 0.0

        def semantic_ids(self, *args, **kwargs):
            clock = time.perf_counter()
            try:
                return super().semantic_ids(*args, **kwargs)
            finally:
                self.excluded += time.perf_counter() - clock

        def validate(self, method):
            clock = time.perf_counter()
            try:
                return super().validate(method)
            finally:
                self.excluded += time.perf_counter() - clock

    return Context


def stage_method(name: str):
    def run(folder: Path, args) -> dict:
        import torch

        from suite.registry import get_method

        data = _prepared(folder)
        sample = np.random.default_rng(0).choice(data.n_users, min(args.train_users, data.n_users), replace=False)
        data = type(data)(
            name=data.name,
            item_tokens=data.item_tokens,
            user_tokens=data.user_tokens[sample],
            sequences=[data.sequences[u] for u in sample],
        )
        cls = get_method(name)
        params = {**cls.defaults, **cls.inference_defaults}
        params.update({key: value for key, value in SMALL.items() if key in params})
        params.update({key: 1 for key in ("epochs", "patience") if key in params})
        if name == "sasrec":
            params.update(training="windows", batch_size=128)
        if "tokenizer" in params:  # the codes' content does not change the cost: random codes, no fit
            params["tokenizer"] = {"name": "random"}
        method = cls(params)
        context = _timed_context()(data=data, params=params, seed=0, device=torch.device("cpu"), history=HISTORY)
        clock = time.perf_counter()
        method.fit(context)
        train = time.perf_counter() - clock - context.excluded
        histories = data.test_histories(HISTORY)[:256]
        with torch.no_grad():  # a warm-up: the decoder's lookup tables are built on first use, once a model
            method.recommend(histories[:8], 10)
        clock = time.perf_counter()
        with torch.no_grad():
            method.recommend(histories, 10)
        return {"per 1k users s": 1000 * train / len(sample), "users/s": len(histories) / (time.perf_counter() - clock)}

    return run


def stage_trial(name: str):
    def run(folder: Path, args) -> dict:
        """One whole trial through the suite's own path (`suite.trial.run_trial`): preparation,
        co-occurrence rq-kmeans SIDs where the method uses SIDs, one epoch with validation, the
        test decoding of every user and the store's files."""
        from suite.matrix import TrialSpec, Variant, canonical_json
        from suite.registry import get_method
        from suite.store import Store
        from suite.trial import run_trial
        from suite.types import DatasetConfig

        cls = get_method(name)
        params = {**cls.defaults, **cls.inference_defaults}
        params.update({key: value for key, value in SMALL.items() if key in params})
        params.update(
            {key: 1 for key in ("epochs", "patience", "windows_per_user", "prefixes_per_user") if key in params}
        )
        if name == "sasrec":
            params.update(training="windows", batch_size=128)
        if "tokenizer" in params:
            params["tokenizer"] = {"name": "rq-kmeans", "input": "cooccurrence", "codebook_size": 256}
        spec = TrialSpec(
            dataset=DatasetConfig(name="scale", loader="atomic", path=str(folder), history=HISTORY),
            method=name,
            method_class=name,
            params_json=canonical_json(params),
            grid_label="",
            seed=0,
            variants=(Variant("default"),),
            select_metric="ndcg@10",
            device="cpu",
        )
        summary = run_trial(spec, Store(folder / "store"))
        default = summary["variants"]["default"]
        return {"users": summary["users"], "train s": summary["train_seconds"], "users/s": default["users_per_second"]}

    return run


def stage_store(folder: Path, args) -> dict:
    from suite.store import write_frame

    data = _prepared(folder)
    rng = np.random.default_rng(0)
    users = min(data.n_users, 10_000)
    lists = rng.integers(0, data.n_items, (users, 100))
    frame = pd.DataFrame(
        {
            "user": np.arange(users),
            "variant": "default",
            "target": rng.integers(0, data.n_items, users),
            "rank": rng.integers(0, 101, users),
            "items": list(lists),
        }
    )
    path = folder / "per_user.parquet"
    write_frame(path, frame)
    return {"bytes/user": path.stat().st_size / users}


STAGES = {
    "load+split": stage_load,
    "cooccurrence": stage_cooccurrence,
    **{name: stage_tokenizer(name) for name in TOKENIZERS},
    "index": stage_index,
    **{f"method:{name}": stage_method(name) for name in METHODS},
    "softmax": stage_softmax,
    "store": stage_store,
}
TRIALS = {f"trial:{name}": stage_trial(name) for name in (*METHODS, "sasrec-bce")}
"""Whole trials (every user decoded on validation and test): asked for by name in --stages."""


def _child(stage: str, folder: Path, args, queue) -> None:
    import torch

    torch.set_num_threads(args.threads)
    clock = time.perf_counter()
    try:
        extra = {**STAGES, **TRIALS}[stage](folder, args)
        status = "ok"
    except MemoryError:
        extra, status = {}, "out of memory"
    seconds = time.perf_counter() - clock
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux, so GiB
    queue.put({"status": status, "seconds": seconds, "peak GiB": peak, **extra})


def run_stage(stage: str, folder: Path, args) -> dict:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(stage, folder, args, queue))
    process.start()
    process.join(args.stage_timeout)
    if process.is_alive():
        process.kill()
        process.join()
        return {"status": f"over {args.stage_timeout} s"}
    if process.exitcode != 0 or queue.empty():
        return {"status": "killed (out of memory?)" if process.exitcode == -9 else f"failed ({process.exitcode})"}
    return queue.get()


def growth(records: list[dict], stage: str, field: str) -> str:
    points = [
        (r["items"], r[field]) for r in records if r["stage"] == stage and r.get("status") == "ok" and r.get(field)
    ]
    if len(points) < 2:
        return ""
    x, y = np.log([p[0] for p in points]), np.log([p[1] for p in points])
    return f"{np.polyfit(x, y, 1)[0]:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--stages", nargs="+", default=list(STAGES), choices=[*STAGES, *TRIALS])
    parser.add_argument("--users", type=int, help="users of each synthetic log (default: max(10^4, items/10))")
    parser.add_argument("--train-users", type=int, default=1000)
    parser.add_argument("--tokenizer-epochs", type=int, default=2)
    parser.add_argument("--stage-timeout", type=float, default=900)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    records = []
    for items in args.sizes:
        with tempfile.TemporaryDirectory() as name:
            folder = Path(name)
            users = args.users or users_for(items)
            write_atomic_file(synthetic_log(items, users), folder, "scale")
            stages = ["load+split", *[s for s in args.stages if s != "load+split"]]
            for stage in stages:
                if stage == "index" and "rq-kmeans" not in stages:
                    continue
                result = run_stage(stage, folder, args)
                records.append({"stage": stage, "items": items, "users": users, **result})
                print(f"{stage} at {items} items: {result}", flush=True)
                if stage == "load+split" and result["status"] != "ok":
                    break
    frame = pd.DataFrame(records)
    print(tabulate(frame.astype(object).fillna(""), headers="keys", showindex=False, floatfmt=".3g"))
    rows = []
    for stage in dict.fromkeys(frame["stage"]):
        peak = growth(records, stage, "peak GiB")
        for cost in COSTS:
            if any(cost in r for r in records if r["stage"] == stage):
                rows.append([stage, cost, growth(records, stage, cost), peak])
    print(tabulate(rows, headers=["stage", "cost", "exponent in items", "peak memory exponent"]))


if __name__ == "__main__":
    main()
