"""The tokenizer interface and registry: item embeddings -> semantic-ID codes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

_tokenizers: dict[str, type[Tokenizer]] = {}


@dataclass
class Codes:
    """What a tokenizer's `fit` returns: codes `[n_items, m]` (position j in 0..sizes[j]-1)."""

    codes: np.ndarray
    codebook_sizes: tuple[int, ...]
    reconstruction_mse: float | None = None
    extras: dict[str, Any] = field(default_factory=dict)


class Tokenizer:
    """Base class: `defaults` documents and types the parameters; subclasses implement `fit`."""

    name: ClassVar[str] = ""
    defaults: ClassVar[Mapping[str, Any]] = {}

    def __init__(self, params: Mapping[str, Any] | None = None) -> None:
        unknown = set(params or {}) - set(self.defaults)
        if unknown:
            raise ValueError(f"unknown parameter(s) of tokenizer {self.name!r}: {', '.join(sorted(unknown))}")
        self.params = {**self.defaults, **(params or {})}

    def fit(self, embeddings: np.ndarray, seed: int) -> Codes:
        raise NotImplementedError


def register_tokenizer(name: str):
    """Class decorator: make a tokenizer available as `tokenizer: {name: ...}` in YAML."""

    def decorate(cls: type[Tokenizer]) -> type[Tokenizer]:
        existing = _tokenizers.get(name)
        if existing is not None and existing is not cls:
            raise ValueError(f"tokenizer name {name!r} is already registered by {existing.__qualname__}")
        cls.name = name
        _tokenizers[name] = cls
        return cls

    return decorate


def known_tokenizers() -> list[str]:
    import suite.tokenizers  # noqa: F401  (registers the built-in tokenizers)

    return sorted(_tokenizers)


def get_tokenizer(name: str) -> type[Tokenizer]:
    known = known_tokenizers()
    if name not in _tokenizers:
        raise KeyError(f"unknown tokenizer {name!r} (known: {', '.join(known)})")
    return _tokenizers[name]
