"""`suite tune`: every method's `search:` space searched on validation, under one budget.

For each `methods:` entry with a search space, one Ray Tune run samples `tuning.samples`
configurations (random search, or Optuna's TPE through Ray Tune's `OptunaSearch`), trains each
on `tuning.dataset` with `tuning.seed` for at most `tuning.max_epochs` epochs, early-stopped as
every trial is, and lets ASHA stop the configurations that trail at a rung (the validation
`select_metric`, reported each epoch). The budget is the same for every entry.

Selection reads validation only: a configuration's score is its best epoch's validation
`select_metric`, and the tuning trains nothing else and never decodes the test split. The
chosen configuration of each entry is written to `results/<experiment>/tuned.yaml`, which a
benchmark file takes in with `tuned:`; `tuning/<row>.{md,csv}` lists every sampled
configuration with its score, epochs, how it stopped, its seconds, and which one was chosen.

Resumable: Ray Tune's experiment state lives under `tuning/ray/`, each draw under
`tuning/samples/<search>/`, and each configuration's epoch checkpoint under
`tuning/trials/<key>/`, so a killed run restores its search and scheduler and each unfinished
configuration resumes from its last epoch. A run stopped early (Ctrl-C, SIGTERM) says so and
exits non-zero, as `suite run` does.
"""

from __future__ import annotations

import json
import math
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from ray.tune.schedulers import ASHAScheduler, TrialScheduler
from tabulate import tabulate

from suite.cache import content_hash
from suite.errors import SuiteError
from suite.matrix import TrialSpec, Variant, canonical_json, expand
from suite.protocol import keyed_params
from suite.registry import get_method
from suite.search_space import apply, nested, ray_domain
from suite.store import Store, read_json_file, write_frame, write_json, write_text
from suite.tokenizers.base import complete_tokenizer
from suite.types import DEFAULT_VARIANT, BenchmarkConfig, MethodConfig, TuningConfig

TUNING = "tuning"
TUNED_FILE = "tuned.yaml"
RECORD = "record.json"
LOG = "log.csv"
SAMPLE = "sample"  # the configuration's number, in the order its training started
STARTED = "started"
SAMPLES = "samples"  # samples/<search key>/<Ray trial id>.json: each draw of a search, and its configuration
RUNGS = "rungs"  # rungs/<search key>.json: the score ASHA recorded for each Ray trial at each rung
STOPPED_BY_SCHEDULER = "scheduler"


@dataclass(frozen=True)
class TuningRow:
    """One `methods:` entry to tune: its search space and its trial on the tuning dataset and seed."""

    entry: MethodConfig
    base: TrialSpec

    @property
    def name(self) -> str:
        return self.entry.name

    def search_key(self, tuning: TuningConfig) -> str:
        """A hash of everything that decides this row's search: its base trial, its space and the
        budget. A search under other terms starts afresh, and its table holds only its own samples."""
        space = {name: domain.describe() for name, domain in self.entry.search.items()}
        return content_hash(self.base.key, canonical_json(space), canonical_json(asdict(tuning)))[:12]


def tuning_rows(config: BenchmarkConfig) -> list[TuningRow]:
    """The entries with a `search:` space, each as the trial it would be at `tuning.seed` on
    `tuning.dataset`, with its default decoding only and `tuning.max_epochs` as its epoch cap."""
    tuning = config.tuning
    if tuning is None:
        raise SuiteError(f"{config.source}: no tuning: section, so there is nothing to tune")
    searched = {name: entry for name, entry in config.methods.items() if entry.search}
    if not searched:
        raise SuiteError(f"{config.source}: no methods: entry has a search: space, so there is nothing to tune")
    only = replace(
        config,
        seeds=(tuning.seed,),
        datasets={tuning.dataset: config.datasets[tuning.dataset]},
        methods=searched,
        ablations={},
    )
    rows = []
    for spec in expand(only):
        entry = searched[spec.method]
        params = {**spec.params, "epochs": tuning.max_epochs} if "epochs" in spec.params else spec.params
        base = replace(spec, params_json=canonical_json(params), variants=(Variant(DEFAULT_VARIANT),))
        rows.append(TuningRow(entry, base))
    return rows


def sampled_spec(base: TrialSpec, assignment: dict[str, Any]) -> TrialSpec:
    """`base` with a sampled `assignment` of its search space written into its parameters."""
    cls = get_method(base.method_class)
    params = apply(base.params, assignment)
    if isinstance(params.get("tokenizer"), dict):  # one spelling of a tokenizer, one key
        params["tokenizer"] = complete_tokenizer(params["tokenizer"])
    return replace(base, params_json=canonical_json(keyed_params(cls, params)))


class RecordingASHA(ASHAScheduler):
    """Ray Tune's ASHA, which also writes the record of each configuration it stops (from the
    epoch log the trainable wrote before reporting), so the tuning table can say so. The store
    is the one each result names: a scheduler restored from a moved folder (a committed copy
    resumed on another machine) would otherwise write to the path it was pickled with.

    It also keeps its rung records in the store (`rungs/<search key>.json`), written as they are
    made and read back at the first result after a restore. Ray Tune does not save a scheduler's
    state with the experiment: a restored search rebuilds it from the pickle of its start, and
    without its records ASHA would judge a resumed configuration again at a rung it had passed,
    against whichever configurations happened to report first since the restore."""

    def __init__(self, tuning: TuningConfig, metric: str) -> None:
        super().__init__(
            time_attr="epoch",
            max_t=tuning.max_epochs,
            grace_period=min(tuning.grace_period, tuning.max_epochs),
            reduction_factor=tuning.reduction_factor,
        )
        self.score = metric
        self.rungs_read = False

    def on_trial_result(self, tune_controller: Any, trial: Any, result: dict) -> str:
        before = self._read_rungs(result)
        decision = super().on_trial_result(tune_controller, trial, result)
        self._write_rungs(result, before)
        if decision == TrialScheduler.STOP and "key" in result:
            store = Store(Path(result["store"]))
            folder = store.trial_dir(result["key"])
            if not (folder / RECORD).is_file():
                epoch = int(result["epoch"])
                stopped = "epoch cap" if epoch >= self._max_t else f"{STOPPED_BY_SCHEDULER} at epoch {epoch}"
                write_json(folder / RECORD, _record(result["key"], _read_log(folder), self.score, stopped))
                store.checkpoint_file(result["key"]).unlink(missing_ok=True)
        return decision

    def on_trial_complete(self, tune_controller: Any, trial: Any, result: dict) -> None:
        before = self._read_rungs(result)
        super().on_trial_complete(tune_controller, trial, result)
        self._write_rungs(result, before)

    def rung_records(self) -> list[dict[str, dict[str, float]]]:
        """Per bracket, each rung's (its epoch, as text) recorded score of every Ray trial."""
        return [
            {f"{milestone:g}": dict(recorded) for milestone, recorded in bracket._rungs} for bracket in self._brackets
        ]

    @staticmethod
    def _rungs_file(result: dict) -> Path | None:
        return (
            Path(result["store"]) / RUNGS / f"{result['search']}.json" if {"store", "search"} <= result.keys() else None
        )

    def _read_rungs(self, result: dict) -> list[dict[str, dict[str, float]]]:
        """The records before this result, after adding those the store keeps (once, at the
        first result that names the store)."""
        path = self._rungs_file(result)
        # a scheduler pickled by an earlier version of this class (a search started before the
        # records were kept) is restored without the flag
        if path is not None and not getattr(self, "rungs_read", False):
            self.rungs_read = True
            if path.is_file():
                kept = read_json_file(path)["brackets"]
                for bracket, rungs in zip(self._brackets, kept, strict=True):
                    for milestone, recorded in bracket._rungs:
                        for trial_id, score in rungs.get(f"{milestone:g}", {}).items():
                            recorded.setdefault(trial_id, score)
        return self.rung_records()

    def _write_rungs(self, result: dict, before: list[dict[str, dict[str, float]]]) -> None:
        path = self._rungs_file(result)
        records = self.rung_records()
        if path is not None and records != before:
            write_json(path, {"brackets": records})


def _tuning_trainable(config: dict[str, Any], base: dict, store_root: str, search: str) -> None:
    """Ray Tune's function trainable: one sampled configuration, trained and scored on validation."""
    from ray import tune

    from suite.trial import fit_trial

    spec = sampled_spec(TrialSpec.from_dict(base), config)
    store = Store(Path(store_root))
    folder = store.trial_dir(spec.key)
    metric = f"valid_{spec.select_metric}"
    sample = store.root / SAMPLES / search / f"{tune.get_context().get_trial_id()}.json"
    if not sample.is_file():  # one file a draw (kept when it resumes: its start orders the samples)
        write_json(sample, {"key": spec.key, "assignment": config, STARTED: time.time()})
    if (folder / RECORD).is_file():  # a configuration drawn twice, or finished before a restore
        record = read_json_file(folder / RECORD)
        tune.report(
            {"key": spec.key, "store": store_root, "search": search, "epoch": record["epochs"], metric: record["valid"]}
        )
        return
    write_json(folder / "spec.json", spec.to_dict())
    rows = _read_log(folder)
    clock = [time.perf_counter()]
    label = f"[tune {spec.dataset.name} {spec.row} {spec.key[:8]}]"

    def on_epoch(row: dict[str, Any]) -> None:
        now = time.perf_counter()
        seconds, clock[0] = now - clock[0], now
        rows[:] = [r for r in rows if r["epoch"] < row["epoch"]] + [{**row, "seconds": seconds}]
        write_frame(folder / LOG, pd.DataFrame(rows))
        score = row.get(metric, float("nan"))
        print(f"{label} epoch {row['epoch']} loss={row.get('loss', float('nan')):.4f} {metric}={score:.4f}")
        tune.report(
            {
                "key": spec.key,
                "store": store_root,
                "search": search,
                "epoch": row["epoch"],
                metric: score,
                "epoch_seconds": seconds,
            }
        )

    _, run = fit_trial(spec, store, on_epoch)
    patience_stop = run.best_epoch is not None and len(run.log) < int(spec.params.get("epochs", len(run.log)))
    write_json(folder / RECORD, _record(spec.key, rows, metric, "early stopping" if patience_stop else "epoch cap"))
    store.checkpoint_file(spec.key).unlink(missing_ok=True)


def _read_log(folder: Path) -> list[dict[str, Any]]:
    path = folder / LOG
    return pd.read_csv(path).to_dict("records") if path.is_file() else []


def _record(key: str, rows: list[dict[str, Any]], metric: str, stopped: str) -> dict[str, Any]:
    """A configuration's line of the tuning table, from its epoch log (validation only)."""
    scores = [(r.get(metric, math.nan), r["epoch"]) for r in rows]
    valid, epoch = max(((s, e) for s, e in scores if not math.isnan(s)), key=lambda p: (p[0], -p[1]), default=(0, 0))
    return {
        "key": key,
        "valid": float(valid),
        "best_epoch": int(epoch),
        "epochs": len(rows),
        "stopped": stopped,
        "seconds": float(sum(r.get("seconds", 0.0) for r in rows)),
    }


def _search_algorithm(tuning: TuningConfig) -> Any:
    if tuning.search == "optuna":
        from ray.tune.search.optuna import OptunaSearch

        return OptunaSearch(seed=tuning.seed)
    from ray.tune.search.basic_variant import BasicVariantGenerator

    return BasicVariantGenerator(random_state=tuning.seed, max_concurrent=tuning.concurrent)


def _tune_row(config: BenchmarkConfig, row: TuningRow, store: Store) -> None:
    from ray import tune

    tuning = config.tuning
    metric = f"valid_{row.base.select_metric}"
    resources = row.base.resources
    trainable = tune.with_resources(
        tune.with_parameters(
            _tuning_trainable, base=row.base.to_dict(), store_root=str(store.root), search=row.search_key(tuning)
        ),
        {"cpu": resources.cpu, "gpu": resources.gpu},
    )
    folder = (store.root / "ray").resolve()
    path = folder / f"{row.name}-{row.search_key(tuning)}"
    scheduler = RecordingASHA(tuning, metric) if tuning.scheduler == "asha" else None
    if tune.Tuner.can_restore(str(path)):
        print(f"tuning {row.name}: resuming the search in {path}")
        tuner = tune.Tuner.restore(str(path), trainable, resume_unfinished=True, resume_errored=True)
    else:
        tuner = tune.Tuner(
            trainable,
            param_space={name: ray_domain(domain) for name, domain in row.entry.search.items()},
            tune_config=tune.TuneConfig(
                metric=metric,
                mode="max",
                search_alg=_search_algorithm(tuning),
                scheduler=scheduler,
                num_samples=tuning.samples,
                max_concurrent_trials=(tuning.concurrent or None) if tuning.search == "optuna" else None,
                trial_name_creator=lambda trial: f"{row.name}-{trial.trial_id}",
                trial_dirname_creator=lambda trial: trial.trial_id,
            ),
            run_config=tune.RunConfig(name=path.name, storage_path=str(folder), verbose=1),
        )
    results = tuner.fit()
    sys.stdout.flush()
    if results.errors:
        first = str(results.errors[0]).strip().splitlines()[-1]
        raise SuiteError(
            f"tuning {row.name}: {len(results.errors)} of {len(results)} configurations failed ({first}); "
            f"the finished ones are kept, and `suite tune` again retries the others"
        )
    table = tuning_table(row, store, tuning)
    for key in table.get("key", []):  # a configuration ASHA stopped may have saved one more epoch
        store.checkpoint_file(key).unlink(missing_ok=True)
    if len(table) < tuning.samples:  # Tune stopped early: Ctrl-C or SIGTERM
        raise KeyboardInterrupt


def tuning_table(row: TuningRow, store: Store, tuning: TuningConfig) -> pd.DataFrame:
    """Every configuration the search of `row` drew and finished (a configuration drawn twice is
    two rows with one record): its parameters, best-epoch validation score, epochs, how it
    stopped, seconds, and whether it is the chosen one (the highest score; ties: the earliest)."""
    records = []
    for path in sorted((store.root / SAMPLES / row.search_key(tuning)).glob("*.json")):
        sample = read_json_file(path)
        record = store.trial_dir(sample["key"]) / RECORD
        if record.is_file():
            records.append({STARTED: sample[STARTED], **sample["assignment"], **read_json_file(record)})
    frame = pd.DataFrame(records)
    if frame.empty:
        return frame
    frame[SAMPLE] = frame[STARTED].rank(method="first").astype(int) - 1
    columns = [SAMPLE, *row.entry.search, "valid", "best_epoch", "epochs", "stopped", "seconds", "key"]
    frame = frame[columns].sort_values(SAMPLE, kind="stable").reset_index(drop=True)
    best = frame.sort_values(["valid", SAMPLE], ascending=[False, True], kind="stable").index[0]
    frame["chosen"] = frame.index == best
    return frame


def _markdown(row: TuningRow, frame: pd.DataFrame, config: BenchmarkConfig) -> str:
    tuning = config.tuning
    shown = frame.drop(columns=["key"]).rename(columns={"valid": f"valid {row.base.select_metric}"})
    shown["chosen"] = shown["chosen"].map({True: "chosen", False: ""})
    header = (
        f"# Tuning of `{row.name}` on {row.base.dataset.name} (seed {tuning.seed}): "
        f"{len(frame)} of {tuning.samples} configurations, {tuning.search} search, "
        f"{'ASHA' if tuning.scheduler == 'asha' else 'no scheduler'}, at most {tuning.max_epochs} epochs each\n\n"
        f"Search space: "
        + ", ".join(f"`{name}` {domain.describe()}" for name, domain in row.entry.search.items())
        + f".\nScores are the best epoch's validation {row.base.select_metric}; the test split is never read.\n\n"
    )
    return header + tabulate(shown, headers="keys", tablefmt="pipe", showindex=False, floatfmt=".4f") + "\n"


def tuned_yaml(config: BenchmarkConfig, chosen: dict[str, dict[str, Any]]) -> str:
    tuning = config.tuning
    head = (
        f"# Chosen by `suite tune {config.source}` on validation {config.evaluation.select_metric} "
        f"({tuning.dataset}, seed {tuning.seed}): {tuning.search} search, {tuning.samples} configurations per "
        f"method, at most {tuning.max_epochs} epochs each, scheduler {tuning.scheduler}.\n"
        f"# Every configuration is listed in tuning/<method>.md. A benchmark file takes these in with `tuned:`.\n"
    )
    body = {
        "tuning": {
            "samples": tuning.samples,
            "max_epochs": tuning.max_epochs,
            "search": tuning.search,
            "scheduler": tuning.scheduler,
            "dataset": tuning.dataset,
            "seed": tuning.seed,
            "select_metric": config.evaluation.select_metric,
        },
        "methods": chosen,
    }
    return head + yaml.safe_dump(body, sort_keys=False)


def run_tuning(
    config: BenchmarkConfig, root: Path, rows: list[str] | None = None, address: str | None = None
) -> dict[str, dict[str, Any]]:
    """Tune every entry with a `search:` space (or only `rows`), on the Ray cluster at `address`
    if given; write every tuned entry's tables and `tuned.yaml` under `root`; return the chosen
    parameters of each entry."""
    from suite.runner import check_shared_store, interrupt_on_sigterm, ray_session

    store = Store(Path(root).resolve() / TUNING)
    all_rows = tuning_rows(config)
    known = [row.name for row in all_rows]
    for name in rows or []:
        if name not in known:
            raise SuiteError(f"--row {name}: not an entry with a search: space (those: {', '.join(known)})")
    interrupt_on_sigterm()
    pending = [
        row
        for row in all_rows
        if (not rows or row.name in rows) and len(tuning_table(row, store, config.tuning)) < config.tuning.samples
    ]
    if pending:
        with ray_session(address):
            if address:
                check_shared_store(store)
            for row in pending:
                _tune_row(config, row, store)
    return write_tuning_results(config, all_rows, store, Path(root))


def write_tuning_results(
    config: BenchmarkConfig, all_rows: list[TuningRow], store: Store, root: Path
) -> dict[str, dict[str, Any]]:
    """Each entry's table of configurations under `store`, and `root`/tuned.yaml with the chosen
    parameters of every entry whose search has its whole budget; return those parameters."""
    chosen: dict[str, dict[str, Any]] = {}
    for row in all_rows:  # those tuned in an earlier sitting too
        frame = tuning_table(row, store, config.tuning)
        if frame.empty:
            continue
        write_frame(store.root / f"{row.name}.csv", frame)
        write_text(store.root / f"{row.name}.md", _markdown(row, frame, config))
        if len(frame) < config.tuning.samples:  # a search a stopped sitting left unfinished
            print(f"tuning {row.name}: {len(frame)} of {config.tuning.samples} configurations; not in {TUNED_FILE}")
            continue
        best = frame[frame["chosen"]].iloc[0]
        chosen[row.name] = nested({name: _plain(best[name]) for name in row.entry.search})
    write_text(root / TUNED_FILE, tuned_yaml(config, chosen))
    return chosen


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value YAML writes."""
    return json.loads(json.dumps(value, default=lambda v: v.item()))
