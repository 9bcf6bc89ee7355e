"""The tokenizer interface and registry: item embeddings -> semantic-ID codes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from suite.registry import tokenizers
from suite.types import TEXT_INPUT


@dataclass
class Codes:
    """What a tokenizer's `fit` returns: codes `[n_items, m]` (position j in 0..sizes[j]-1)."""

    codes: np.ndarray
    codebook_sizes: tuple[int, ...]
    reconstruction_mse: float | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    # `[n_items, sizes[-1]]` squared distance of each item to each code of the last level, from
    # tokenizers that offer `collisions: sinkhorn` (`suite.semantic_ids.collisions`)
    last_level_costs: np.ndarray | None = None


class Tokenizer:
    """Base class: `defaults` documents and types the parameters; subclasses implement `fit`."""

    name: ClassVar[str] = ""
    defaults: ClassVar[Mapping[str, Any]] = {}
    choices: ClassVar[Mapping[str, tuple[Any, ...]]] = {}  # allowed values of enumerated parameters
    uses_embeddings: ClassVar[bool] = True  # False: fit ignores the embeddings' values
    unique: ClassVar[bool] = False  # True: every item's codes are its own; no dedup position is appended
    # parameters added after trials were stored, whose default behaves as before them: at their
    # default they stay out of a method's `tokenizer:` value, so those trials keep their keys
    keyless_at_default: ClassVar[tuple[str, ...]] = ()

    def __init__(self, params: Mapping[str, Any] | None = None) -> None:
        unknown = set(params or {}) - set(self.defaults)
        if unknown:
            raise ValueError(f"unknown parameter(s) of tokenizer {self.name!r}: {', '.join(sorted(unknown))}")
        self.params = {**self.defaults, **(params or {})}

    def fit(self, embeddings: np.ndarray, seed: int) -> Codes:
        raise NotImplementedError


COLLISION_RULES = ("dedup", "sinkhorn")  # a dedup position, or reassigned last codes (no dedup position)

register_tokenizer = tokenizers.register
get_tokenizer = tokenizers.get
known_tokenizers = tokenizers.names


def complete_tokenizer(config: Mapping[str, Any]) -> dict[str, Any]:
    """`{name, **params}` with every parameter the config leaves out taken from the tokenizer's defaults.

    `input` is kept only where it is not the text embeddings and the tokenizer reads its
    embeddings, so spelling out an `input` that changes nothing leaves one configuration (and
    configurations from before `input` keep their keys); so are the tokenizer's
    `keyless_at_default` parameters, only where they differ from their defaults.
    """
    cls = get_tokenizer(config["name"])
    completed = {"name": config["name"], **cls.defaults, **config}
    if completed.get("input") == TEXT_INPUT or not cls.uses_embeddings:
        completed.pop("input", None)
    for name in cls.keyless_at_default:
        if completed.get(name) == cls.defaults[name]:
            del completed[name]
    return completed


def tokenizer_label(config: Mapping[str, Any]) -> str:
    """`rq-vae` or `rq-vae(codebook_size=64)`: the name plus what differs from its defaults."""
    cls = get_tokenizer(config["name"])
    changed = {k: v for k, v in config.items() if k != "name" and cls.defaults.get(k) != v}
    inner = ",".join(f"{k}={v}" for k, v in sorted(changed.items()))
    return f"{config['name']}({inner})" if inner else config["name"]
