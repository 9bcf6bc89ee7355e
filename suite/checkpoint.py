"""Epoch checkpoints: a trial stopped mid-training goes on from its last finished epoch.

After each epoch the training loop writes `trials/<key>/checkpoint.pt` atomically: the
epoch, the epoch log, the training seconds so far, torch's, numpy's and Python's global
random state, and the state of every object the epochs change (the model, the early
stopping, optimizers, numpy and torch generators). When the trial runs again (Ray's retry
after a failure, or `suite run` after a killed run) it loads the file and trains from the
next epoch, so it ends with the weights, log and metrics of a run that was never stopped.
The store deletes the file once the trial's results are written.
"""

from __future__ import annotations

import io
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from suite.errors import SuiteError
from suite.store import write_atomic

if TYPE_CHECKING:
    from suite.context import TrainContext


def _state_of(thing: Any) -> Any:
    if isinstance(thing, np.random.Generator):
        return thing.bit_generator.state
    if isinstance(thing, torch.Generator):
        return thing.get_state()
    return thing.state_dict()  # modules, optimizers, schedulers, EarlyStopping


def _load_state(thing: Any, state: Any) -> None:
    if isinstance(thing, np.random.Generator):
        thing.bit_generator.state = state
    elif isinstance(thing, torch.Generator):
        thing.set_state(state)
    else:
        thing.load_state_dict(state)


def global_random_state() -> dict[str, Any]:
    """torch's (and CUDA's), numpy's and Python's global generators, in types `weights_only` loads."""
    legacy = np.random.get_state(legacy=False)
    state = {
        "torch": torch.get_rng_state(),
        "numpy": {**legacy, "state": {**legacy["state"], "key": legacy["state"]["key"].tolist()}},
        "python": random.getstate(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_global_random_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    legacy = state["numpy"]
    np.random.set_state({**legacy, "state": {**legacy["state"], "key": np.asarray(legacy["state"]["key"], np.uint32)}})
    random.setstate(state["python"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


@dataclass
class EpochCheckpoint:
    """The checkpoint file of one training loop (`path` None: no checkpoints) and what it holds."""

    path: Path | None
    objects: Sequence[Any]

    def save(self, run: TrainContext, epoch: int, stopped: bool) -> None:
        if self.path is None:
            return
        payload = {
            "epoch": epoch,
            "stopped": stopped,
            "log": run.log,
            "seconds": run.elapsed(),
            "random": global_random_state(),
            "objects": [_state_of(thing) for thing in self.objects],
        }
        buffer = io.BytesIO()
        torch.save(payload, buffer)
        write_atomic(self.path, buffer.getvalue())

    def resume(self, run: TrainContext) -> tuple[int, bool]:
        """Restore the saved epoch, if any: (last finished epoch, whether early stopping had ended
        training); (0, False) without a checkpoint."""
        if self.path is None or not self.path.is_file():
            return 0, False
        try:
            payload = torch.load(self.path, map_location="cpu", weights_only=True)
            if len(payload["objects"]) != len(self.objects):
                raise ValueError(f"{len(payload['objects'])} saved states for {len(self.objects)} objects")
            for thing, state in zip(self.objects, payload["objects"], strict=True):
                _load_state(thing, state)
        except Exception as error:
            # torch's state-dict errors put the mismatch on the line after their header
            reason = " ".join(line.strip() for line in str(error).strip().splitlines()[:2])
            raise SuiteError(
                f"{self.path}: cannot resume from this checkpoint ({type(error).__name__}: {reason}); "
                f"delete it to train the trial from the start"
            ) from None
        set_global_random_state(payload["random"])
        run.log[:] = payload["log"]
        run.resumed_seconds = payload["seconds"]
        print(f"resuming from {self.path} after epoch {payload['epoch']}", flush=True)
        return payload["epoch"], payload["stopped"]
