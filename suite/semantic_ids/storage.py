"""A trial's semantic IDs, kept in its folder beside its checkpoint.

A tokenizer fit is cached by its inputs, but a cache is one machine's: a trial folder carried
to another machine (a committed reference store, a cluster node without the shared cache)
meets a refit there. A refit need not give the same codes: float arithmetic differs between
CPUs and thread counts, and fits made before they were pinned to one thread differ from run to
run (LLaDA-Rec's MH-VQVAE on co-occurrence vectors, at 2 threads: dedup codebooks of 6, 6 and
4 in three fits, agreeing on 2 to 6% of the items). A checkpoint is only resumed, and a final
checkpoint only decoded, on the very codes it learned, so the trial keeps them.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from suite.errors import SuiteError
from suite.semantic_ids.assembly import SemanticIds
from suite.store import write_atomic


def _config_text(tokenizer: Mapping[str, Any]) -> str:
    return json.dumps(dict(tokenizer), sort_keys=True, default=list)


def save_semantic_ids(path: Path, ids: SemanticIds, tokenizer: Mapping[str, Any]) -> None:
    """Write `ids`, fitted under the tokenizer config `tokenizer`, to `path` (atomically)."""
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        codes=ids.codes.astype(np.int32),
        codebook_sizes=np.asarray(ids.codebook_sizes, dtype=np.int64),
        dedup=np.asarray(ids.dedup),
        stats=np.asarray(json.dumps(ids.stats)),
        tokenizer=np.asarray(_config_text(tokenizer)),
    )
    write_atomic(path, buffer.getvalue())


def load_semantic_ids(path: Path, tokenizer: Mapping[str, Any]) -> SemanticIds:
    """The SIDs kept at `path`; one clear line where they are unreadable or another tokenizer's."""
    try:
        with np.load(path, allow_pickle=False) as saved:
            kept_config = str(saved["tokenizer"])
            ids = SemanticIds(
                saved["codes"].astype(np.int64),
                tuple(int(size) for size in saved["codebook_sizes"]),
                json.loads(str(saved["stats"])),
                bool(saved["dedup"]),
            )
    except (OSError, KeyError, ValueError) as error:
        raise SuiteError(
            f"{path}: not readable semantic IDs ({type(error).__name__}); delete it and the trial's checkpoint"
        ) from None
    if kept_config != _config_text(tokenizer):
        raise SuiteError(f"{path}: holds the semantic IDs of tokenizer {kept_config}, not of {_config_text(tokenizer)}")
    return ids
