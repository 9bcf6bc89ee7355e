"""A content-addressed cache folder shared by concurrent trials.

Entries are built once under a file lock, in a temporary folder that is renamed into place,
so a reader never sees a half-built entry and a killed build leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from filelock import FileLock

APP_NAME = "genrec-suite"


def cache_dir() -> Path:
    """`$SUITE_CACHE`, or `~/.cache/genrec-suite`."""
    root = os.environ.get("SUITE_CACHE")
    return Path(root) if root else Path.home() / ".cache" / APP_NAME


def content_hash(*parts: bytes | str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()[:20]


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def get_or_build(kind: str, key: str, build: Callable[[Path], None]) -> tuple[Path, bool]:
    """Return the folder for `kind/key`, building it with `build(folder)` if absent.

    The second value says whether the entry was already there (a cache hit).
    """
    folder = cache_dir() / kind / key
    if folder.is_dir():
        return folder, True
    folder.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder) + ".lock"):
        if folder.is_dir():
            return folder, True
        staging = folder.with_name(f"{folder.name}.building-{os.getpid()}")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        try:
            build(staging)
            os.replace(staging, folder)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return folder, False
