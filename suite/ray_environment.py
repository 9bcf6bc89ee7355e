"""The environment variables the suite's Ray runs need, set before Ray is first imported: Ray reads
some of them (log deduplication) once, at import."""

from __future__ import annotations

import os

RAY_ENVIRONMENT = {
    "RAY_CHDIR_TO_TRIAL_DIR": "0",  # trials write to the absolute store path, not Ray's trial folder
    "RAY_DEDUP_LOGS": "0",  # show every trial's per-epoch line
}


def set_ray_environment() -> None:
    """`RAY_ENVIRONMENT`, where the user has not set those variables."""
    for name, value in RAY_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
