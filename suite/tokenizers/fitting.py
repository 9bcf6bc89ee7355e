"""Fit a tokenizer through the cache: one fit per (embeddings, tokenizer config, seed).

Concurrent trials that need the same semantic IDs wait on a file lock while the first one
fits, then load its result.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from suite.cache import content_hash, get_or_build
from suite.cooccurrence import cooccurrence_vectors
from suite.data.prepare import PreparedData
from suite.embed import embed_items
from suite.errors import SuiteError
from suite.semantic_ids.assembly import SemanticIds, make_unique
from suite.semantic_ids.collisions import sinkhorn_reassign
from suite.threads import torch_threads
from suite.tokenizers.base import get_tokenizer, tokenizer_label
from suite.types import TEXT_INPUT, TOKENIZER_INPUTS

FIT_VERSION = "1"
# Fits run on one thread wherever they are called from (a trial, `suite tokenizers`, a bench
# script): on 2 threads the same seed gave MH-VQVAE other codes from run to run, and the cache
# keeps whichever fit came first.
FIT_THREADS = 1


def catalog_semantic_ids(
    data: PreparedData, encoder: str, config: Mapping[str, Any], seed: int
) -> tuple[SemanticIds, bool]:
    """A catalog's SIDs, fitted on the item vectors the config's `input` names (default: text).

    The text is only embedded for tokenizers that read embeddings.
    """
    if get_tokenizer(config["name"]).uses_embeddings:
        embeddings = tokenizer_input(data, encoder, config.get("input", TEXT_INPUT))
    else:
        embeddings = np.zeros((data.n_items, 1), dtype=np.float32)
    return fit_semantic_ids(embeddings, config, seed)


def tokenizer_input(data: PreparedData, encoder: str, source: str) -> np.ndarray:
    """`[n_items, d]`: text embeddings as encoded, or unit-length co-occurrence vectors, or both side by side."""
    if source == TEXT_INPUT:
        return embed_items(data, encoder)
    behaviour = _unit_rows(cooccurrence_vectors(data))
    if source == "cooccurrence":
        return behaviour
    if source == "text+cooccurrence":
        return np.concatenate([_unit_rows(embed_items(data, encoder)), behaviour], axis=1)
    raise ValueError(f"unknown tokenizer input {source!r} (choose from: {', '.join(TOKENIZER_INPUTS)})")


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


def fit_semantic_ids(embeddings: np.ndarray, config: Mapping[str, Any], seed: int) -> tuple[SemanticIds, bool]:
    """Unique SIDs for every item, and whether they came from the cache."""
    cls = get_tokenizer(config["name"])
    params = {k: v for k, v in config.items() if k not in ("name", "input")}
    tokenizer = cls(params)
    embeddings = np.ascontiguousarray(embeddings, dtype=np.float32)
    key = content_hash(
        FIT_VERSION,
        embeddings.tobytes(),
        str(embeddings.shape),
        json.dumps({"name": cls.name, **tokenizer.params}, sort_keys=True, default=list),
        str(seed),
    )

    def build(folder: Path) -> None:
        clock = time.perf_counter()
        with torch_threads(FIT_THREADS):
            fitted = tokenizer.fit(embeddings, seed)
        seconds = time.perf_counter() - clock
        codes, extras = fitted.codes, dict(fitted.extras)
        sinkhorn = tokenizer.params.get("collisions") == "sinkhorn"
        if sinkhorn:  # the colliding items' last codes reassigned: no dedup position
            before = make_unique(codes, fitted.codebook_sizes).stats
            codes, moved = sinkhorn_reassign(codes, fitted.last_level_costs, fitted.codebook_sizes[-1])
            extras |= {"collision_rate_before_reassignment": before["collision_rate"], "reassigned_items": moved}
        ids = make_unique(codes, fitted.codebook_sizes, always_dedup=not (cls.unique or sinkhorn))
        stats = {**ids.stats, "reconstruction_mse": fitted.reconstruction_mse, "fit_seconds": seconds, **extras}
        np.save(folder / "codes.npy", ids.codes)
        meta = {"codebook_sizes": ids.codebook_sizes, "stats": stats, "dedup": ids.dedup}
        (folder / "meta.json").write_text(json.dumps(meta))

    folder, hit = get_or_build("tokenizers", key, build)
    meta = json.loads((folder / "meta.json").read_text())
    # entries cached before `dedup` was recorded: only a `unique` tokenizer's codes went without one
    dedup = meta.get("dedup", not cls.unique)
    ids = SemanticIds(np.load(folder / "codes.npy"), tuple(meta["codebook_sizes"]), meta["stats"], dedup)
    refuse_collapsed(ids, tokenizer_label({"name": cls.name, **tokenizer.params}))
    return ids, hit


def refuse_collapsed(ids: SemanticIds, label: str) -> None:
    """One clear line when a fitted level gives every item the same code.

    Such SIDs carry nothing at that level; where every level collapsed, only the dedup
    position tells items apart and the method is an item-ID model under a SID name.
    """
    fitted = ids.codes[:, :-1] if ids.dedup else ids.codes
    for level in range(fitted.shape[1]):
        if len(fitted) > 1 and ids.codebook_sizes[level] > 1 and len(np.unique(fitted[:, level])) == 1:
            raise SuiteError(
                f"tokenizer {label}: its fit collapsed: position {level + 1} gives all {len(fitted)} items"
                f" the same one of its {ids.codebook_sizes[level]} codes"
            )
