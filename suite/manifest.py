"""`manifest.json`: one record per sitting (each `suite run`), appended: what ran, from which
configuration and code, where, with which packages, and when."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
from dataclasses import asdict
from datetime import datetime, timezone
from importlib.metadata import distributions
from pathlib import Path
from typing import Any

from suite.types import BenchmarkConfig


def package_versions() -> dict[str, str]:
    """Every installed distribution and its version (the encoder package, faiss, zuko... included)."""
    found = {}
    for distribution in distributions():
        name = distribution.metadata["Name"]
        if name:
            found[name.lower()] = distribution.version
    return dict(sorted(found.items()))


def _git(folder: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def git_state(folder: Path) -> dict[str, Any]:
    """The commit of the code that ran, and whether its working tree had uncommitted changes
    (None for both outside a git checkout)."""
    commit = _git(folder, "rev-parse", "HEAD")
    status = _git(folder, "status", "--porcelain", "--untracked-files=no")
    return {"commit": commit.strip() if commit else None, "dirty": None if status is None else bool(status.strip())}


def config_digest(config: BenchmarkConfig, text: str | None) -> str:
    """sha256 of the YAML file's text as run, or of the validated configuration when there is no file."""
    if text is None:
        text = json.dumps(asdict(config), sort_keys=True, default=list)
    return hashlib.sha256(text.encode()).hexdigest()


def hardware() -> dict[str, object]:
    import torch

    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "cuda": [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())],
    }


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
