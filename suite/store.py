"""The results store: one folder per trial, every file written atomically.

Layout under `results/<experiment>/trials/<key>/`: `spec.json`, `per_user.parquet`,
`log.csv` and, last, `summary.json`, whose presence marks the trial complete; a trial that
failed has `error.txt` (its reason on the first line) and no `summary.json`. While a trial
trains, `checkpoint.pt` holds its last finished epoch (`suite.checkpoint`); it is deleted
when the trial completes.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

SUMMARY = "summary.json"
SPEC = "spec.json"
PER_USER = "per_user.parquet"
LOG = "log.csv"
ERROR = "error.txt"
CHECKPOINT = "checkpoint.pt"


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
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
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


MATRIX_FILE = "matrix.json"
"""The trial keys of the configuration last run into a results folder; the report reads only these."""


class Store:
    """The results folder of one experiment."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def trial_dir(self, key: str) -> Path:
        return self.root / "trials" / key

    def is_complete(self, key: str) -> bool:
        return (self.trial_dir(key) / SUMMARY).is_file()

    def error_file(self, key: str) -> Path:
        """Where a failed attempt of the trial leaves its reason and traceback."""
        return self.trial_dir(key) / ERROR

    def checkpoint_file(self, key: str) -> Path:
        """Where the trial's training loop keeps its last finished epoch while it trains."""
        return self.trial_dir(key) / CHECKPOINT

    def trial_keys(self) -> list[str]:
        folder = self.root / "trials"
        return sorted(p.name for p in folder.iterdir() if (p / SUMMARY).is_file()) if folder.is_dir() else []

    def write_trial(self, key: str, spec: dict, per_user: pd.DataFrame, log: pd.DataFrame, summary: dict) -> None:
        """Write a finished trial; `summary.json` goes last, so it only exists for whole trials."""
        folder = self.trial_dir(key)
        write_json(folder / SPEC, spec)
        write_frame(folder / PER_USER, per_user)
        write_frame(folder / LOG, log)
        write_json(folder / SUMMARY, summary)
        self.checkpoint_file(key).unlink(missing_ok=True)

    def remove_temporaries(self) -> int:
        """Delete temporary files a killed run left behind (never a finished file); how many."""
        stale = [p for p in self.root.rglob(".*.tmp") if p.is_file()] if self.root.is_dir() else []
        for path in stale:
            path.unlink(missing_ok=True)
        return len(stale)

    def read_summary(self, key: str) -> dict:
        return json.loads((self.trial_dir(key) / SUMMARY).read_text())

    def read_spec(self, key: str) -> dict:
        return json.loads((self.trial_dir(key) / SPEC).read_text())

    def read_per_user(self, key: str) -> pd.DataFrame:
        return pd.read_parquet(self.trial_dir(key) / PER_USER)
