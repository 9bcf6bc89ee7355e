"""Run a benchmark's TrialSpecs as Ray Tune trials and write the store.

Completed trials (those with a `summary.json`) are skipped unless `rerun` is set, so an
interrupted run picks up where it stopped; a trial stopped mid-training resumes from its
epoch checkpoint (`suite.checkpoint`), unless `rerun` is set. A trial that raises is
retried by Ray up to `max_failures` times; its last traceback stays in
`trials/<key>/error.txt`.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from suite.cache import cache_dir
from suite.data.prepare import prepare
from suite.errors import SuiteError
from suite.manifest import config_digest, git_state, hardware, now, package_versions
from suite.matrix import TrialSpec, ablation_manifest, row_labels, row_terms
from suite.ray_environment import set_ray_environment
from suite.report.build import build_report
from suite.report.datasets import write_dataset_stats
from suite.reuse import reuse_stored_trainings
from suite.store import Store
from suite.trial import run_trial
from suite.types import DEFAULT_VARIANT, BenchmarkConfig

LABEL_LENGTH = 60  # of a trial's readable name, before its seed and key
ADDRESS_TIMEOUT = 10  # seconds to reach --address


@dataclass
class RunOutcome:
    trained: int
    skipped: int
    failed: list[str]  # keys of trials that raised and left an error.txt
    unselected: int = 0  # pending trials outside `selected`, left for a later run
    # stopped with no error recorded (Ctrl-C): a rerun runs them
    interrupted: list[str] = field(default_factory=list)
    reported: bool = False  # whether the tables were rebuilt: only when a trial of the matrix is complete


def _trainable(config: dict[str, Any], specs: dict[str, dict], store_root: str) -> None:
    """The Ray Tune function trainable: one TrialSpec, reported epoch by epoch."""
    from ray import tune

    spec = TrialSpec.from_dict(specs[config["trial"]])
    store = Store(Path(store_root))
    label = f"[{spec.dataset.name} {spec.row} seed={spec.seed}]"
    store.clear_error(spec.key)  # an earlier attempt's: this attempt writes its own, or the driver does

    clock = [time.perf_counter()]

    def on_epoch(row: dict[str, Any]) -> None:
        """Print the epoch's line; report its loss, validation metrics and seconds to Tune (and so
        to the tracking callbacks)."""
        now_ = time.perf_counter()
        seconds, clock[0] = now_ - clock[0], now_
        # a method may log an epoch without a loss or a validation score (a plugin's, say)
        score = row.get(f"valid_{spec.select_metric}", float("nan"))
        loss = row.get("loss", float("nan"))
        print(f"{label} epoch {row['epoch']} loss={loss:.4f} valid {spec.select_metric}={score:.4f}")
        tune.report({**row, f"valid_{spec.select_metric}": score, "epoch_seconds": seconds})

    try:
        summary = run_trial(spec, store, on_epoch=on_epoch)
    except Exception as error:
        store.write_error(spec.key, failure_reason(error), traceback.format_exc())
        raise
    default = summary["variants"][DEFAULT_VARIANT]["metrics"]
    tune.report({"epoch": summary["epochs"], f"test_{spec.select_metric}": default[spec.select_metric], "done": True})


def check_shared_store(store: Store) -> None:
    """On a cluster, a task on every node must be able to write the results folder."""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    @ray.remote(num_cpus=0)
    def probe(path: str) -> str:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("probe")
        return ray.get_runtime_context().get_node_id()

    nodes = [node["NodeID"] for node in ray.nodes() if node["Alive"]]
    paths = [store.probe_file() for _ in nodes]
    try:
        ray.get(
            [
                probe.options(scheduling_strategy=NodeAffinitySchedulingStrategy(node, soft=False)).remote(str(path))
                for node, path in zip(nodes, paths, strict=True)
            ]
        )
    except Exception as error:
        reason = failure_reason(getattr(error, "cause", error))
        raise SuiteError(
            f"{store.root}: a Ray worker cannot write the results folder ({reason}); "
            f"on a cluster it must be on storage that every node shares"
        ) from None
    missing = [p for p in paths if not p.is_file()]
    for path in paths:
        path.unlink(missing_ok=True)
    if missing:
        raise SuiteError(
            f"{store.root}: files written there by Ray workers do not appear here; "
            f"on a cluster the results folder must be on storage that every node shares"
        )


def failure_reason(error: BaseException) -> str:
    """One line saying why a trial failed: the first line of its `error.txt`."""
    import torch

    if isinstance(error, (torch.OutOfMemoryError, MemoryError)):
        return (
            f"out of memory ({type(error).__name__}): lower batch_size or decode_batch_users, "
            f"or give the trial more memory (resources.gpu / a larger machine)"
        )
    if isinstance(error, SuiteError):
        return str(error)
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".rstrip(": ")


def _trial_label(spec: TrialSpec) -> str:
    """Ray's trial name and folder: readable, and only characters safe in a file name. A long
    row is cut; the key keeps the name unique."""
    readable = f"{spec.dataset.name}-{spec.row}".replace(" ", "")[:LABEL_LENGTH]
    return re.sub(r"[^A-Za-z0-9._=\[\]-]", "_", f"{readable}-s{spec.seed}-{spec.key[:6]}")


def _trial_name(trial: Any) -> str:
    return trial.config["trial"]


def interrupt_on_sigterm() -> None:
    """SIGTERM (what a cluster scheduler or `kill` sends) takes Ctrl-C's path: it is turned into
    SIGINT, which Ray Tune answers by stopping the trials cleanly (checkpoints kept) and
    outside Tune raises KeyboardInterrupt. Installed again after Ray starts, which sets its own."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda signum, frame: os.kill(os.getpid(), signal.SIGINT))


def check_address(address: str) -> None:
    """One line, within `ADDRESS_TIMEOUT` seconds, when `--address` is malformed or nothing
    listens there (Ray itself would retry for minutes)."""
    if address in ("auto", "local"):
        return
    where = address.removeprefix("ray://")
    host, _, port = where.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise SuiteError(f"--address {address}: expected HOST:PORT (e.g. 10.0.0.5:6379), ray://HOST:PORT or auto")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=ADDRESS_TIMEOUT).close()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise SuiteError(
            f"--address {address}: no Ray cluster answers at {host}:{port} within {ADDRESS_TIMEOUT} s ({reason})"
        ) from None


def check_resources(specs: list[TrialSpec]) -> None:
    """One line when a trial asks for more CPUs or GPUs than any live node of the cluster has
    (Ray would keep it pending forever). An autoscaling cluster is judged by its nodes up now."""
    import ray

    nodes = [node["Resources"] for node in ray.nodes() if node["Alive"]]
    for spec in specs:
        need = spec.resources
        if not any(node.get("CPU", 0) >= need.cpu and node.get("GPU", 0) >= need.gpu for node in nodes):
            largest = ", ".join(f"cpu={node.get('CPU', 0):g} gpu={node.get('GPU', 0):g}" for node in nodes)
            raise SuiteError(
                f"trial {spec.row} (seed {spec.seed}) asks for cpu={need.cpu:g} gpu={need.gpu:g}, more than any "
                f"node of the cluster has ({largest}); lower resources: in the YAML"
            )


@contextmanager
def ray_session(address: str | None) -> Iterator[None]:
    """Join the Ray cluster at `address` (checked first), or start a local Ray, unless this process
    is already connected; disconnect on leaving if this call connected, so that a later `ray.init`
    in the same process (another run, a test's own cluster) starts clean. SIGTERM is turned into
    Ctrl-C inside the session (again after Ray starts: it sets its own handler)."""
    set_ray_environment()
    import ray

    if address:
        check_address(address)
    started = not ray.is_initialized()
    if started and address:
        ray.init(address=address, log_to_driver=True)
    elif started:
        ray.init(include_dashboard=False, log_to_driver=True, logging_level="WARNING")
    interrupt_on_sigterm()
    try:
        yield
    finally:
        if started:
            ray.shutdown()


def _reuse(store: Store, specs: list[TrialSpec], complete: set[str], selected: Collection[str] | None) -> set[str]:
    """Take in the trials whose training is stored under another key (`suite.reuse`): every one
    a stored trial covers is written at no cost; a selected one that needs new variants decodes
    from a stored final checkpoint. The keys written."""
    missing = [spec for spec in specs if spec.key not in complete]
    chosen = [spec for spec in missing if selected is None or spec.key in selected]
    reuse = reuse_stored_trainings(store, missing, chosen)
    if reuse.derived:
        print(f"{len(reuse.derived)} trials written from stored trials of the same training (no training)")
    if reuse.primed:
        print(f"{len(reuse.primed)} trials decode from the final checkpoint of a stored trial of the same training")
    return set(reuse.derived)


def run_experiment(
    config: BenchmarkConfig,
    specs: list[TrialSpec],
    root: Path,
    address: str | None = None,
    rerun: bool = False,
    selected: Collection[str] | None = None,
    config_text: str | None = None,
) -> RunOutcome:
    """Run every pending trial through Ray Tune (only those whose key is in `selected`, when
    given), then rebuild the report from every complete trial of `specs`, if any.
    `config_text` is the YAML file as read, kept in the store beside the sitting's record."""
    root = root.resolve()
    store = Store(root)
    store.check_writable()
    interrupt_on_sigterm()
    # Data errors surface before anything is written under the results folder.
    prepared = {name: prepare(dataset) for name, dataset in config.datasets.items()}
    with store.run_lock():
        store.remove_temporaries()  # left by a writer that was killed mid-write
        stats = {name: data.stats() for name, data in prepared.items()}
        digest = config_digest(config, config_text)
        manifest = {
            "id": uuid.uuid4().hex,
            "experiment": config.experiment,
            "config": config.source,
            "config_sha256": digest,
            "config_copy": None if config_text is None else store.keep_config(digest, config_text),
            "started": now(),
            "finished": None,
            "git": git_state(Path(__file__).parent),
            "packages": package_versions(),
            "hardware": hardware(),
            "ray_address": address,
        }
        store.record_sitting(manifest)
        store.write_evaluation(config.evaluation)
        store.write_ablations(ablation_manifest(config))
        store.write_labels(row_labels(config, specs))
        store.write_terms(row_terms(config, specs))
        store.write_matrix([spec.key for spec in specs])
        for name, data in prepared.items():
            store.write_popularity(name, data.item_counts(), data.n_users)
        adopted = store.adopt_legacy([(spec.legacy_key(config.evaluation.ks), spec.key) for spec in specs])
        if adopted:
            print(f"{adopted} trials stored under their keys from before ranked lists were kept: moved to their keys")
        print(write_dataset_stats(store, stats))

        complete = set()  # each trial's files checked once: finished and usable
        for spec in (spec for spec in specs if store.has_summary(spec.key)):
            damage = store.trial_damage(spec.key)
            if damage is None:
                complete.add(spec.key)
            elif not rerun:
                print(f"trial {spec.key} ({spec.row}, seed {spec.seed}): {damage}; recomputing it")
        if not rerun:
            complete |= _reuse(store, specs, complete, selected)
        unfinished = [spec for spec in specs if rerun or spec.key not in complete]
        pending = [spec for spec in unfinished if selected is None or spec.key in selected]
        unselected = len(unfinished) - len(pending)
        if rerun:
            for spec in pending:
                store.start_over(spec.key)
        print(
            f"{len(specs)} trials: {len(specs) - len(unfinished)} already complete, {len(pending)} to run"
            + (f", {unselected} not selected" if unselected else "")
        )
        if pending:
            try:
                _tune(config, pending, store, address)
            except KeyboardInterrupt:  # a second Ctrl-C (or SIGTERM) while Tune was stopping
                store.record_sitting({**manifest, "finished": now(), "interrupted": True})
                raise
        unfinished_keys = [spec.key for spec in pending if not store.is_complete(spec.key)]
        failed = [key for key in unfinished_keys if store.has_error(key)]
        interrupted = [key for key in unfinished_keys if key not in failed]
        untouched = {spec.key for spec in specs} - {spec.key for spec in pending}
        reported = len(pending) > len(unfinished_keys) or bool(untouched & complete)
        if reported:
            build_report(root)
        manifest["finished"] = now()
        manifest["trials"] = {
            "total": len(specs),
            "trained": len(pending) - len(unfinished_keys),
            "failed": failed,
            "interrupted": interrupted,
            "not_selected": unselected,
        }
        store.record_sitting(manifest)
        return RunOutcome(
            trained=len(pending) - len(unfinished_keys),
            skipped=len(specs) - len(unfinished),
            failed=failed,
            unselected=unselected,
            interrupted=interrupted,
            reported=reported,
        )


def _tune(config: BenchmarkConfig, pending: list[TrialSpec], store: Store, address: str | None) -> None:
    with ray_session(address):
        _fit_pending(config, pending, store, address)


def _fit_pending(config: BenchmarkConfig, pending: list[TrialSpec], store: Store, address: str | None) -> None:
    from ray import tune

    from suite.tracking import tracking_callbacks  # imports Ray, which only a run needs

    check_resources(pending)
    if address:
        check_shared_store(store)
    by_label = {_trial_label(spec): spec for spec in pending}
    resources = {label: {"cpu": s.resources.cpu, "gpu": s.resources.gpu} for label, s in by_label.items()}
    trainable = tune.with_parameters(
        _trainable, specs={label: s.to_dict() for label, s in by_label.items()}, store_root=str(store.root)
    )
    tuner = tune.Tuner(
        tune.with_resources(trainable, lambda config: resources[config["trial"]]),
        param_space={"trial": tune.grid_search(list(by_label))},
        tune_config=tune.TuneConfig(trial_name_creator=_trial_name, trial_dirname_creator=_trial_name),
        run_config=tune.RunConfig(
            name=config.experiment,
            storage_path=str((cache_dir() / "ray").resolve()),
            failure_config=tune.FailureConfig(max_failures=config.max_failures),
            callbacks=tracking_callbacks(config.tracking, store, config.experiment),
            verbose=1,
        ),
    )
    results = tuner.fit()
    sys.stdout.flush()
    for result in results:
        if result.config is None:
            continue  # a trial still pending when the run was stopped: never started, so interrupted
        spec = by_label[result.config["trial"]]
        if result.error is not None and not store.is_complete(spec.key) and not store.has_error(spec.key):
            # The worker died without running the trainable's except clause (killed, crashed).
            reason = f"the trial's worker process died: {failure_reason(result.error)}"
            store.write_error(spec.key, reason, f"{result.error!r}\n")
