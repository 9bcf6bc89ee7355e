"""Registries by name: methods (`@register("name")`, plus plugins) and tokenizers.

Plugins: an installed package's `suite.methods` entry points, or the modules named in the
environment variable `SUITE_PLUGINS` (comma-separated, importable; Ray workers inherit it).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from importlib.metadata import entry_points

ENTRY_POINT_GROUP = "suite.methods"
BUILTIN_PACKAGES = ("baselines", "methods")
PLUGINS_VARIABLE = "SUITE_PLUGINS"


class Registry:
    """Classes by name. `load` runs once, before the first lookup, to register the built-ins."""

    def __init__(self, kind: str, load: Callable[[], None]):
        self.kind = kind
        self.classes: dict[str, type] = {}
        self._load = load
        self._loaded = False

    def register(self, name: str) -> Callable[[type], type]:
        """Class decorator that makes a class available to benchmark YAML files under `name`."""

        def decorate(cls: type) -> type:
            existing = self.classes.get(name)
            if existing is not None and existing is not cls:
                raise ValueError(f"{self.kind} name {name!r} is already registered by {existing.__qualname__}")
            cls.name = name
            self.classes[name] = cls
            return cls

        return decorate

    def names(self) -> list[str]:
        if not self._loaded:
            self._loaded = True
            self._load()
        return sorted(self.classes)

    def get(self, name: str) -> type:
        """The class registered as `name`; a KeyError that lists the known names otherwise."""
        known = self.names()
        if name not in self.classes:
            raise KeyError(f"unknown {self.kind} {name!r} (known: {', '.join(known)})")
        return self.classes[name]


def _load_methods() -> None:
    plugins = [name.strip() for name in os.environ.get(PLUGINS_VARIABLE, "").split(",") if name.strip()]
    for package in (*BUILTIN_PACKAGES, *plugins):
        importlib.import_module(package)
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        loaded = entry.load()
        if isinstance(loaded, type) and entry.name not in methods.classes:
            methods.register(entry.name)(loaded)


def _load_tokenizers() -> None:
    importlib.import_module("suite.tokenizers")


methods = Registry("method", _load_methods)
tokenizers = Registry("tokenizer", _load_tokenizers)

register = methods.register
get_method = methods.get
known_methods = methods.names
