"""One registry for every word a benchmark YAML can say: methods, tokenizers, dataset loaders,
metrics, significance tests and multiple-comparison corrections.

A registry maps names to what they name (a class, or a function for tests and corrections).
The built-ins register themselves when their modules are imported; a registry imports them,
by name, before its first lookup. Plugins come in two ways, with one rule for both:
- an installed package's entry points in the registry's group (`suite.methods`,
  `suite.tokenizers`, `suite.loaders`, `suite.metrics`, `suite.tests`, `suite.corrections`);
- the modules named in the environment variable `SUITE_PLUGINS` (comma-separated, importable;
  Ray workers inherit it), which register with the decorators below.
A name may be registered once: a plugin that reuses a taken name is an error, whichever way
it came. A plugin that fails to import is one error line naming it.

This module imports no other part of the suite but its errors and the method protocol: the
modules it loads import it.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterable
from importlib.metadata import entry_points
from typing import Any

from suite.errors import SuiteError, one_line
from suite.protocol import conform

PLUGINS_VARIABLE = "SUITE_PLUGINS"


class PluginError(SuiteError):
    """A plugin that cannot be loaded, or a name registered twice."""


def load_plugins() -> None:
    """Import the modules named in `SUITE_PLUGINS` (a no-op for those already imported)."""
    for module in (name.strip() for name in os.environ.get(PLUGINS_VARIABLE, "").split(",")):
        if not module:
            continue
        try:
            importlib.import_module(module)
        except SuiteError:
            raise
        except Exception as error:
            raise PluginError(f"{PLUGINS_VARIABLE}: module {module!r} failed to import ({one_line(error)})") from None


class Registry:
    """Things by name. Before the first lookup it imports `builtins`, the `SUITE_PLUGINS` modules
    and its entry-point `group`."""

    def __init__(self, kind: str, group: str, builtins: Iterable[str], conform: Callable[[Any], Any] | None = None):
        self.kind = kind
        self.group = group
        self.builtins = tuple(builtins)
        self.conform = conform  # checks (and completes) what is registered, e.g. a method class
        self.entries: dict[str, Any] = {}
        self._state = "new"  # new -> loading -> loaded

    def register(self, name: str) -> Callable[[Any], Any]:
        """Decorator that makes a class (or function) available to benchmark YAML files under `name`."""

        def decorate(thing: Any) -> Any:
            existing = self.entries.get(name)
            if existing is not None and existing is not thing:
                raise PluginError(
                    f"{self.kind} name {name!r} is already registered by "
                    f"{existing.__module__}.{existing.__qualname__}; {thing.__module__}.{thing.__qualname__} "
                    f"cannot take it too"
                )
            if self.conform is not None:
                try:
                    self.conform(thing)
                except TypeError as error:
                    raise PluginError(f"{self.kind} {name!r}: {error}") from None
            thing.name = name
            self.entries[name] = thing
            return thing

        return decorate

    def _load(self) -> None:
        if self._state != "new":
            return  # loaded, or loading: a built-in module looking itself up while it is imported
        self._state = "loading"
        try:
            for module in self.builtins:
                importlib.import_module(module)
            load_plugins()
            for entry in entry_points(group=self.group):
                try:
                    loaded = entry.load()
                except Exception as error:
                    raise PluginError(
                        f"entry point {entry.name!r} in group {self.group} ({entry.value}) failed to load "
                        f"({one_line(error)})"
                    ) from None
                self.register(entry.name)(loaded)
        except BaseException:
            self._state = "new"
            raise
        self._state = "loaded"

    def names(self) -> list[str]:
        self._load()
        return sorted(self.entries)

    def get(self, name: str) -> Any:
        """What is registered as `name`; a KeyError that lists the known names otherwise."""
        known = self.names()
        if name not in self.entries:
            raise KeyError(f"unknown {self.kind} {name!r} (known: {', '.join(known)})")
        return self.entries[name]

    def __contains__(self, name: object) -> bool:
        self._load()
        return name in self.entries


methods = Registry(
    "method",
    "suite.methods",
    (
        "baselines.pop",
        "baselines.sasrec",
        "baselines.tiger",
        "methods.llada_rec",
        "methods.madrec",
        "methods.greed",
    ),
    conform=conform,
)
tokenizers = Registry(
    "tokenizer",
    "suite.tokenizers",
    (
        "suite.tokenizers.item_ids",
        "suite.tokenizers.mh_vqvae",
        "suite.tokenizers.product",
        "suite.tokenizers.random_codes",
        "suite.tokenizers.rq_kmeans",
        "suite.tokenizers.rq_vae",
        "suite.tokenizers.uiq",
    ),
)
loaders = Registry(
    "dataset loader", "suite.loaders", ("suite.data.atomic", "suite.data.movielens", "suite.data.amazon")
)
metrics = Registry("metric", "suite.metrics", ("suite.metrics",))
tests = Registry("test", "suite.tests", ("suite.stats",))
corrections = Registry("correction", "suite.corrections", ("suite.stats",))

register = methods.register
get_method = methods.get
known_methods = methods.names
