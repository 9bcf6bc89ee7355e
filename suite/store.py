"""The results store: every file of an experiment folder, each written atomically.

The runner and the report speak to a `Store`; no other module knows a file name in it.
Layout under `results/<experiment>/`:
- `trials/<key>/`: `spec.json`, `per_user.parquet`, `log.csv` and, last, `summary.json`, whose
  presence marks the trial complete; a trial that failed has `error.txt` (its reason on the
  first line) and no `summary.json`. While a trial trains, `checkpoint.pt` holds its last
  finished epoch (`suite.checkpoint`); when the trial completes it is kept as `final.pt`, from
  which another trial of the same training decodes new variants without training
  (`suite.reuse`). A trial that trains on semantic IDs keeps them in `semantic_ids.npz`, so
  that its checkpoints are resumed and decoded with the codes they learned.
- `manifest.json`: one record per sitting (what ran, from which code and packages, where,
  when), with `configs/<digest>.yaml` a copy of each configuration that ran;
  `popularity/<dataset>.parquet`: training interactions per item (popularity metrics);
  `evaluation.json`: the YAML's `evaluation:`; `ablations.json`: where each ablation row's
  results live (and its `label:`); `labels.json`: how tables show the rows whose `methods:`
  entry has a `label:`; `terms.json`: the terms each row ran on (context items, tuning samples)
  and the protocol the tables' footer states; `matrix.json`: the trial keys of the configuration last run here (the
  report reads only those).
- `tuning/`: what `suite tune` keeps (`suite.tuning`), and `tuned.yaml`, what it chose;
- `tensorboard/<trial>/` and `mlruns/`: per-epoch tracking, where `tracking:` turns it on;
- tables as `<stem>.{md,tex,csv}` (`leaderboard`, `datasets`, `tokenizers`; `ablations/<name>`,
  `variants/<row>`, `grids/<entry>`), and `figures/<name>.{png,pdf,svg}`.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import socket
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from suite.errors import SuiteError, one_line
from suite.types import EvaluationConfig

TRIALS = "trials"
SUMMARY = "summary.json"
SPEC = "spec.json"
PER_USER = "per_user.parquet"
LOG = "log.csv"
ERROR = "error.txt"
CHECKPOINT = "checkpoint.pt"
FINAL_CHECKPOINT = "final.pt"
SEMANTIC_IDS = "semantic_ids.npz"

RUN_LOCK = ".run.lock"
RUN_OWNER = ".run.owner"
MANIFEST = "manifest.json"
EVALUATION = "evaluation.json"
ABLATIONS = "ablations.json"
MATRIX = "matrix.json"
LABELS = "labels.json"
TERMS = "terms.json"
LEADERBOARD = "leaderboard"
DATASETS = "datasets"
TOKENIZERS = "tokenizers"
ABLATION_TABLES = "ablations"
VARIANT_TABLES = "variants"
GRID_TABLES = "grids"
FIGURES = "figures"
CONFIGS = "configs"
POPULARITY = "popularity"
TENSORBOARD = "tensorboard"
MLRUNS = "mlruns"


def _file_mode() -> int:
    """The mode `open()` gives a new file under this process's umask (read once: setting the umask
    to read it is not thread-safe)."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


FILE_MODE = _file_mode()


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to a temporary file beside `path`, flush it to disk, then rename.

    The file gets the mode `open()` would give it: a temporary file is created owner-only,
    which would hide a shared store's results from everyone else who reads it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=temporary_prefix(path), suffix=".tmp")
    try:
        os.chmod(temporary, FILE_MODE)
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


OWNER_SEPARATOR = "~pid"


def _host() -> str:
    return socket.gethostname().replace(".", "-") or "host"


def temporary_prefix(path: Path, pid: int | None = None) -> str:
    """How a temporary of `path` begins: it names its writer (host and process), so that no
    other run removes it while that writer lives."""
    return f".{path.name}.{_host()}{OWNER_SEPARATOR}{pid or os.getpid()}."


ORPHAN_AGE = 24 * 3600  # seconds after which a temporary of another host (or of no known writer) is left over


def _temporary_is_orphaned(path: Path) -> bool:
    """Whether no live process can still be writing the temporary file `path`: its writer (named
    in it by `write_atomic`) is a process of this host that has ended, or it is a day old."""
    match = re.search(rf"\.([^.]*){re.escape(OWNER_SEPARATOR)}(\d+)\.[^.]*\.tmp$", path.name)
    if match and match.group(1) == _host():
        try:
            os.kill(int(match.group(2)), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False  # alive, another user's
        return False
    try:
        return time.time() - path.stat().st_mtime > ORPHAN_AGE
    except FileNotFoundError:
        return False


def write_json(path: Path, value: Any) -> None:
    write_atomic(path, (json.dumps(value, indent=2, sort_keys=True, default=str) + "\n").encode())


def write_text(path: Path, text: str) -> None:
    write_atomic(path, text.encode())


def write_frame(path: Path, frame: pd.DataFrame) -> None:
    """A DataFrame as parquet or csv, by the path's suffix."""
    buffer = io.BytesIO()
    if path.suffix == ".parquet":
        frame.to_parquet(buffer, index=False)
    else:
        frame.to_csv(buffer, index=False)
    write_atomic(path, buffer.getvalue())


SUMMARY_FIELDS = ("dataset", "row", "seed", "users", "n_parameters", "train_seconds", "variants")
LIST_COLUMNS = ("target", "rank", "items")


class DamagedFile(SuiteError):
    """A store file that exists (or should) but cannot be used; the message names it and why."""


def read_json_file(path: Path) -> dict:
    """A JSON object from `path`; a DamagedFile naming it otherwise."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DamagedFile(f"{path}: missing") from None
    except (ValueError, UnicodeDecodeError) as error:  # JSONDecodeError is a ValueError
        raise DamagedFile(f"{path}: not valid JSON ({one_line(error)})") from None
    if not isinstance(value, dict):
        raise DamagedFile(f"{path}: expected a JSON object, got {type(value).__name__}")
    return value


def _parquet_columns(path: Path) -> tuple[list[str], int]:
    """The column names and row count of a parquet file, read from its footer alone."""
    import pyarrow.parquet as parquet

    try:
        handle = parquet.ParquetFile(path)
    except FileNotFoundError:
        raise DamagedFile(f"{path}: missing") from None
    except Exception as error:
        raise DamagedFile(f"{path}: not a readable parquet file ({one_line(error)})") from None
    return list(handle.schema_arrow.names), handle.metadata.num_rows


def read_frame_file(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except FileNotFoundError:
        raise DamagedFile(f"{path}: missing") from None
    except Exception as error:
        raise DamagedFile(f"{path}: not a readable parquet file ({one_line(error)})") from None


class Store:
    """The results folder of one experiment."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def trial_dir(self, key: str) -> Path:
        return self.root / TRIALS / key

    def has_trials(self) -> bool:
        return (self.root / TRIALS).is_dir()

    def has_summary(self, key: str) -> bool:
        """Whether the trial finished writing (its summary, written last, is there)."""
        return (self.trial_dir(key) / SUMMARY).is_file()

    def is_complete(self, key: str) -> bool:
        """Finished, and every file the report reads is usable."""
        return self.has_summary(key) and self.trial_damage(key) is None

    def trial_damage(self, key: str) -> str | None:
        """Why a finished trial's files cannot be used (one line naming the file), or None.
        Parquet files are checked by their footer: schema and row count, not every page."""
        try:
            self.read_summary(key)
            path = self.trial_dir(key) / PER_USER
            columns, rows = _parquet_columns(path)
        except DamagedFile as error:
            return str(error)
        if not {"user", "variant"} <= set(columns):
            return f"{path}: lacks the columns user and variant"
        if not (set(LIST_COLUMNS) <= set(columns) or any("@" in column for column in columns)):
            return f"{path}: holds neither ranked lists ({', '.join(LIST_COLUMNS)}) nor metric columns"
        if rows == 0:
            return f"{path}: no rows"
        return None

    def error_file(self, key: str) -> Path:
        """Where a failed attempt of the trial leaves its reason and traceback."""
        return self.trial_dir(key) / ERROR

    def checkpoint_file(self, key: str) -> Path:
        """Where the trial's training loop keeps its last finished epoch while it trains."""
        return self.trial_dir(key) / CHECKPOINT

    def final_checkpoint_file(self, key: str) -> Path:
        """The checkpoint of a complete trial's last epoch (which holds its best epoch's weights)."""
        return self.trial_dir(key) / FINAL_CHECKPOINT

    def semantic_ids_file(self, key: str) -> Path:
        """Where the trial keeps the semantic IDs its model trains on (`suite.semantic_ids.storage`)."""
        return self.trial_dir(key) / SEMANTIC_IDS

    def start_over(self, key: str) -> None:
        """Drop what a training from the start makes again: the epoch checkpoint and the kept
        semantic IDs (the tokenizer is fitted again, through the cache)."""
        self.checkpoint_file(key).unlink(missing_ok=True)
        self.semantic_ids_file(key).unlink(missing_ok=True)

    def start_from_final_checkpoint(self, key: str, source: str) -> None:
        """Give trial `key` a copy of trial `source`'s final checkpoint as its epoch checkpoint,
        with the semantic IDs that model learned, where the source kept them."""
        self.copy_semantic_ids(key, source)
        write_atomic(self.checkpoint_file(key), self.final_checkpoint_file(source).read_bytes())

    def copy_semantic_ids(self, key: str, source: str) -> None:
        """Give trial `key` the semantic IDs trial `source` kept (none, where it kept none)."""
        if self.semantic_ids_file(source).is_file():
            write_atomic(self.semantic_ids_file(key), self.semantic_ids_file(source).read_bytes())
        else:
            self.semantic_ids_file(key).unlink(missing_ok=True)

    def trial_keys(self) -> list[str]:
        """The keys of the complete trials."""
        return [key for key in self.stored_keys() if self.is_complete(key)]

    def stored_keys(self) -> list[str]:
        """The keys of every trial folder, complete or not."""
        folder = self.root / TRIALS
        return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []

    def write_trial(self, key: str, spec: dict, per_user: pd.DataFrame, log: pd.DataFrame, summary: dict) -> None:
        """Write a finished trial; `summary.json` goes last, so it only exists for whole trials.
        The epoch checkpoint, if any, is kept as the final one."""
        folder = self.trial_dir(key)
        write_json(folder / SPEC, spec)
        write_frame(folder / PER_USER, per_user)
        write_frame(folder / LOG, log)
        write_json(folder / SUMMARY, summary)
        if self.checkpoint_file(key).is_file():
            os.replace(self.checkpoint_file(key), self.final_checkpoint_file(key))

    def remove_temporaries(self) -> int:
        """Delete the temporary files that killed writers left behind (never a finished file, nor
        the temporary of a process still writing it); how many."""
        found = [p for p in self.root.rglob(".*.tmp") if p.is_file()] if self.root.is_dir() else []
        stale = [path for path in found if _temporary_is_orphaned(path)]
        for path in stale:
            path.unlink(missing_ok=True)
        return len(stale)

    def check_writable(self) -> None:
        """One line when the experiment folder cannot be made or written here (a file stands on its
        path, or a folder on it is not writable); nothing is created."""
        existing = self.root
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        if not existing.is_dir():
            raise SuiteError(f"{self.root}: cannot be a results folder: {existing} is a file, not a folder")
        if not os.access(existing, os.W_OK | os.X_OK):
            raise SuiteError(f"{self.root}: cannot be a results folder: {existing} is not writable by this user")

    @contextlib.contextmanager
    def run_lock(self) -> Iterator[None]:
        """Held while a `suite run` works on this experiment; a second run refuses with one line
        naming the first. (A file lock: on storage shared by a cluster it needs working flock.)"""
        from filelock import FileLock, Timeout

        self.root.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.root / RUN_LOCK), timeout=0)
        owner = self.root / RUN_OWNER
        try:
            lock.acquire()
        except Timeout:
            held_by = owner.read_text().strip() if owner.is_file() else "another process"
            raise SuiteError(
                f"{self.root}: another `suite run` is working on this experiment ({held_by}); "
                f"wait for it to end, or run under another --experiment"
            ) from None
        try:
            write_text(owner, f"pid {os.getpid()} on {socket.gethostname()} since {time.strftime('%H:%M:%S')}\n")
            yield
        finally:
            owner.unlink(missing_ok=True)
            lock.release()

    def read_summary(self, key: str) -> dict:
        path = self.trial_dir(key) / SUMMARY
        summary = read_json_file(path)
        missing = [name for name in SUMMARY_FIELDS if name not in summary]
        if missing:
            raise DamagedFile(f"{path}: lacks {', '.join(missing)}")
        if not isinstance(summary["variants"], dict):
            raise DamagedFile(f"{path}: variants is not a mapping")
        return summary

    def read_spec(self, key: str) -> dict:
        return read_json_file(self.trial_dir(key) / SPEC)

    def read_per_user(self, key: str) -> pd.DataFrame:
        return read_frame_file(self.trial_dir(key) / PER_USER)

    def read_log(self, key: str) -> pd.DataFrame:
        """The trial's epoch log (`log.csv`)."""
        path = self.trial_dir(key) / LOG
        try:
            return pd.read_csv(path)
        except FileNotFoundError:
            raise DamagedFile(f"{path}: missing") from None

    def adopt_legacy(self, pairs: list[tuple[str, str]]) -> int:
        """Move each complete trial stored under an old key to its current key, for (old, new)
        pairs whose new folder does not exist yet; how many moved. A rename: nothing is copied."""
        moved = 0
        for old, new in pairs:
            if old != new and self.is_complete(old) and not self.trial_dir(new).exists():
                os.rename(self.trial_dir(old), self.trial_dir(new))
                moved += 1
        return moved

    def write_error(self, key: str, reason: str, details: str) -> None:
        """Record why an attempt of the trial failed: `reason` (one line) first, then `details`."""
        write_text(self.error_file(key), f"{reason}\n\n{details}")

    def clear_error(self, key: str) -> None:
        """Forget an earlier attempt's failure (a new attempt records its own)."""
        self.error_file(key).unlink(missing_ok=True)

    def has_error(self, key: str) -> bool:
        return self.error_file(key).is_file()

    def probe_file(self) -> Path:
        """A fresh hidden name in the experiment folder, for checking that a worker writes where the driver reads."""
        return self.root / f".store-probe-{uuid.uuid4().hex}"

    def read_error(self, key: str) -> str | None:
        """The first line of a failed trial's `error.txt` ('' if it is empty); None if there is none."""
        path = self.error_file(key)
        if not path.is_file():
            return None
        lines = path.read_text(errors="replace").strip().splitlines()
        return lines[0] if lines else ""

    # Experiment-level files.

    def record_sitting(self, sitting: dict[str, Any]) -> None:
        """Add a sitting's record to `manifest.json`, or replace the one with its `id`; earlier
        sittings stay (a manifest from before records were kept becomes the first)."""
        path = self.root / MANIFEST
        try:
            sittings = self.read_sittings()
        except DamagedFile as error:
            # keep the unreadable file beside the new one, and say so in the new record
            os.replace(path, path.with_name(f"{MANIFEST}.damaged"))
            sittings, sitting = [], {**sitting, "earlier_manifest": f"{error}; kept as {MANIFEST}.damaged"}
        kept = [record for record in sittings if record.get("id") != sitting["id"]]
        write_json(path, {"sittings": [*kept, sitting]})

    def read_sittings(self) -> list[dict[str, Any]]:
        recorded = self._optional_json(MANIFEST)
        if recorded is None:
            return []
        sittings = recorded.get("sittings", [recorded])
        if not isinstance(sittings, list) or not all(isinstance(record, dict) for record in sittings):
            raise DamagedFile(f"{self.root / MANIFEST}: sittings is not a list of records")
        return sittings

    def _optional_json(self, name: str) -> dict | None:
        """An experiment-level JSON object, None when the file is not there; a DamagedFile naming
        it (and saying that `suite run` rewrites it) when it cannot be used."""
        path = self.root / name
        if not path.exists():
            return None
        try:
            return read_json_file(path)
        except DamagedFile as error:
            raise DamagedFile(f"{error}; `suite run` of its configuration rewrites it") from None

    def keep_config(self, digest: str, text: str) -> str:
        """A copy of a configuration as it ran, named by its digest; its name in the store."""
        name = f"{CONFIGS}/{digest[:16]}.yaml"
        if not (self.root / name).is_file():
            write_text(self.root / name, text)
        return name

    def write_evaluation(self, evaluation: EvaluationConfig) -> None:
        write_json(self.root / EVALUATION, asdict(evaluation))

    def read_evaluation(self) -> EvaluationConfig:
        """The `evaluation:` the last run used; the defaults if none was recorded."""
        raw = self._optional_json(EVALUATION)
        if raw is None:
            return EvaluationConfig()
        if "baseline" in raw:  # the YAML's spelling, as written by earlier versions
            baseline = raw.pop("baseline")
            raw["baselines"] = [] if baseline is None else [baseline] if isinstance(baseline, str) else baseline
        try:
            return EvaluationConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()})
        except TypeError as error:
            raise DamagedFile(f"{self.root / EVALUATION}: {error}; `suite run` rewrites it") from None

    def write_ablations(self, ablations: dict[str, dict[str, Any]]) -> None:
        write_json(self.root / ABLATIONS, ablations)

    def read_ablations(self) -> dict[str, dict[str, Any]]:
        """Each ablation's method, axis and rows (`{label: {row, variant}}`); {} if none was recorded."""
        ablations = self._optional_json(ABLATIONS) or {}
        for name, ablation in ablations.items():
            rows = ablation.get("rows") if isinstance(ablation, dict) else None
            if not isinstance(rows, dict) or not all(
                isinstance(where, dict) and {"row", "variant"} <= set(where) for where in rows.values()
            ):
                raise DamagedFile(f"{self.root / ABLATIONS}: ablation {name!r} has no rows of {{row, variant}}")
        return ablations

    def write_popularity(self, dataset: str, counts: np.ndarray, users: int) -> None:
        """A dataset's training interactions per item and its training users (for popularity metrics)."""
        write_frame(self.root / POPULARITY / f"{dataset}.parquet", pd.DataFrame({"count": counts, "users": users}))

    def read_popularity(self, dataset: str) -> tuple[np.ndarray, int] | None:
        """(counts per item, training users), or None for a store written before they were kept."""
        path = self.root / POPULARITY / f"{dataset}.parquet"
        if not path.exists():
            return None
        frame = read_frame_file(path)
        if not {"count", "users"} <= set(frame.columns) or frame.empty:
            raise DamagedFile(f"{path}: expected the columns count and users, one row per item")
        return frame["count"].to_numpy(), int(frame["users"].iloc[0])

    def write_labels(self, labels: dict[str, str]) -> None:
        write_json(self.root / LABELS, labels)

    def read_labels(self) -> dict[str, str]:
        """Leaderboard row -> how tables and figures show it ({} where no row has a `label:`)."""
        labels = self._optional_json(LABELS) or {}
        if not all(isinstance(label, str) for label in labels.values()):
            raise DamagedFile(f"{self.root / LABELS}: every label must be a string")
        return labels

    def write_terms(self, terms: dict[str, Any]) -> None:
        write_json(self.root / TERMS, terms)

    def read_terms(self) -> dict[str, Any]:
        """`{"rows": {row: {"context_items": {dataset: n}, "tuning_samples": n}}, "protocol": {...}}`;
        {} for a store written before the terms were kept."""
        terms = self._optional_json(TERMS) or {}
        if not isinstance(terms.get("rows", {}), dict) or not isinstance(terms.get("protocol", {}), dict):
            raise DamagedFile(f"{self.root / TERMS}: expected rows and protocol mappings; `suite run` rewrites it")
        return terms

    def write_matrix(self, keys: list[str]) -> None:
        write_json(self.root / MATRIX, {"keys": keys})

    def current_keys(self) -> set[str] | None:
        """The keys of the configuration last run here; None: take every stored trial.

        A store can hold trials of an earlier version of the YAML (other parameters, so other
        keys); they stay on disk but are left out of the tables.
        """
        matrix = self._optional_json(MATRIX)
        if matrix is None:
            return None
        keys = matrix.get("keys")
        if not isinstance(keys, list) or not all(isinstance(key, str) for key in keys):
            raise DamagedFile(f"{self.root / MATRIX}: keys is not a list of trial keys; `suite run` rewrites it")
        return set(keys)

    def write_table(
        self, stem: str, markdown: str, frame: pd.DataFrame, latex: str | None = None, section: str | None = None
    ) -> None:
        """`<stem>.md`, `<stem>.csv` and, when given, `<stem>.tex`, under `section` (a subfolder) if given."""
        folder = self.root / section if section else self.root
        write_text(folder / f"{stem}.md", markdown)
        if latex is not None:
            write_text(folder / f"{stem}.tex", latex)
        write_frame(folder / f"{stem}.csv", frame)

    def read_markdown(self, stem: str) -> str:
        return (self.root / f"{stem}.md").read_text()

    def tensorboard_dir(self) -> Path:
        """Where `tracking: {tensorboard: true}` writes one event folder per trial."""
        return self.root.resolve() / TENSORBOARD

    def mlflow_uri(self) -> str:
        """The local MLflow store of `tracking: {mlflow: true}` without a tracking URI."""
        return (self.root.resolve() / MLRUNS).as_uri()

    def write_figure(self, name: str, kind: str, data: bytes) -> None:
        """`figures/<name>.<kind>` (png, pdf, svg)."""
        write_atomic(self.root / FIGURES / f"{name}.{kind}", data)
