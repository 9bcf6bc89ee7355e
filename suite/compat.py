"""Everything the suite does to make recbole 1.2.1 work beside numpy 2 and torch >= 2.6.

- `Config.compatibility_settings` assigns `np.float_`, `np.complex_` and `np.unicode_`,
  which numpy 2 removed: `numpy_aliases()` restores them while recbole's own pipeline runs.
- recbole's trainer reloads its own best checkpoint with `torch.load(path)`, which fails
  under torch >= 2.6's `weights_only=True` default (the checkpoint holds a Config object):
  `trusted_trainer_checkpoints()` lets that one module load the files it wrote itself.
- Importing `recbole.model.sequential_recommender` runs `torch.autograd.set_detect_anomaly(True)`
  (in its SINE module), which makes every backward pass several times slower:
  `recbole_sasrec()` imports SASRec and switches anomaly detection back off.
"""

from __future__ import annotations

import contextlib
import types
from collections.abc import Iterator

import numpy as np
import torch

NUMPY_ALIASES = {"float_": np.float64, "complex_": np.complex128, "unicode_": np.str_}


def recbole_sasrec() -> type:
    """recbole's SASRec class, imported without leaving autograd anomaly detection on."""
    anomaly = torch.is_anomaly_enabled()
    from recbole.model.sequential_recommender.sasrec import SASRec

    torch.autograd.set_detect_anomaly(anomaly)
    return SASRec


@contextlib.contextmanager
def numpy_aliases() -> Iterator[None]:
    """Temporarily restore the numpy 1 aliases that recbole's Config assigns."""
    added = [name for name in NUMPY_ALIASES if name not in np.__dict__]
    for name in added:
        setattr(np, name, NUMPY_ALIASES[name])
    try:
        yield
    finally:
        for name in added:
            delattr(np, name)


@contextlib.contextmanager
def trusted_trainer_checkpoints() -> Iterator[None]:
    """Let recbole's trainer load the checkpoints it saved itself (full pickle, this run only).

    Only `recbole.trainer.trainer` sees the patched `torch.load`; every other caller keeps
    torch's safe default.
    """
    import recbole.trainer.trainer as trainer_module

    original = trainer_module.torch

    def load(*args, **kwargs):
        kwargs.setdefault("weights_only", False)
        return torch.load(*args, **kwargs)

    proxy = types.SimpleNamespace(**{name: getattr(torch, name) for name in dir(torch) if not name.startswith("__")})
    proxy.load = load
    trainer_module.torch = proxy
    try:
        yield
    finally:
        trainer_module.torch = original
