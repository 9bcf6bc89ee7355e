"""Method registry: `@register("name")` on a class, lookup by name, entry-point plugins."""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points

ENTRY_POINT_GROUP = "suite.methods"
BUILTIN_PACKAGES = ("baselines", "methods")

_registry: dict[str, type] = {}
_loaded = False


def register(name: str):
    """Class decorator that makes a method available to benchmark YAML files under `name`."""

    def decorate(cls: type) -> type:
        existing = _registry.get(name)
        if existing is not None and existing is not cls:
            raise ValueError(f"method name {name!r} is already registered by {existing.__qualname__}")
        cls.name = name
        _registry[name] = cls
        return cls

    return decorate


def _load_all() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for package in BUILTIN_PACKAGES:
        importlib.import_module(package)
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        loaded = entry.load()
        if isinstance(loaded, type) and entry.name not in _registry:
            register(entry.name)(loaded)


def known_methods() -> list[str]:
    _load_all()
    return sorted(_registry)


def get_method(name: str) -> type:
    """The class registered as `name`; a KeyError that lists the known names otherwise."""
    _load_all()
    try:
        return _registry[name]
    except KeyError:
        raise KeyError(f"unknown method {name!r} (known: {', '.join(sorted(_registry))})") from None
