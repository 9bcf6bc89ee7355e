"""`uiq` (GREED): uniform implicit quantization.

An MLP encoder maps an item embedding to `dims` latent values z. A normalizing flow g is
trained by maximum likelihood under a standard logistic base density, so u = sigmoid(g(z))
is close to uniform on (0, 1) in every dimension (the probability integral transform). Each
u is rounded to one of `levels` values, round((levels - 1) * u), with a straight-through
gradient, and an MLP decoder reconstructs the embedding from the rounded values.

Training follows the paper's two stages: encoder and decoder first (quantizing sigmoid(z)),
then the encoder is frozen and the flow and decoder train on
lam * reconstruction + (1 - lam) * flow NLL. `flow: false` skips the flow (the ablation).
The flow is zuko's neural autoregressive flow, the family of GREED's T-NAF.
"""

from __future__ import annotations

import numpy as np
import torch
import zuko
from torch.nn import functional

from suite.tokenizers.base import Codes, Tokenizer, register_tokenizer
from suite.tokenizers.networks import mlp, train


def logistic_log_density(y: torch.Tensor) -> torch.Tensor:
    """log of the standard logistic density, summed over the last dimension."""
    return (-y - 2 * functional.softplus(-y)).sum(-1)


@register_tokenizer("uiq")
class UniformImplicitQuantizer(Tokenizer):
    # GREED: 3 dimensions x 51 levels (plus dedup), encoder 512-256-128, lambda 0.5, AdamW 1e-3.
    defaults = {
        "dims": 3,
        "levels": 51,
        "hidden": [512, 256, 128],
        "flow": True,
        "flow_transforms": 3,
        "lam": 0.5,
        "stage1_epochs": 100,
        "stage2_epochs": 100,
        "batch_size": 256,
        "lr": 0.001,
    }

    def fit(self, embeddings: np.ndarray, seed: int) -> Codes:
        p = self.params
        torch.manual_seed(seed)
        x = torch.as_tensor(np.asarray(embeddings, dtype=np.float32))
        steps = p["levels"] - 1
        encoder = mlp([x.shape[1], *p["hidden"], p["dims"]])
        decoder = mlp([p["dims"], *reversed(p["hidden"]), x.shape[1]])
        flow = zuko.flows.NAF(p["dims"], transforms=p["flow_transforms"]) if p["flow"] else None

        def quantize(u: torch.Tensor) -> torch.Tensor:
            return u + (torch.round(steps * u) / steps - u).detach()

        def reconstruction(batch: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
            return ((decoder(quantize(u)) - batch) ** 2).sum(-1).mean()

        def stage_one(batch: torch.Tensor) -> torch.Tensor:
            return reconstruction(batch, torch.sigmoid(encoder(batch)))

        def uniformize(z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            if flow is None:
                return torch.sigmoid(z), torch.zeros(())
            y, log_det = flow().transform.call_and_ladj(z)
            return torch.sigmoid(y), -(logistic_log_density(y) + log_det).mean()

        def stage_two(batch: torch.Tensor) -> torch.Tensor:
            with torch.no_grad():
                z = encoder(batch)
            u, nll = uniformize(z)
            return p["lam"] * reconstruction(batch, u) + (1 - p["lam"]) * nll

        train(
            [*encoder.parameters(), *decoder.parameters()],
            stage_one,
            x,
            p["stage1_epochs"],
            p["batch_size"],
            p["lr"],
            seed,
        )
        encoder.requires_grad_(False)
        second = [*decoder.parameters(), *(flow.parameters() if flow is not None else [])]
        train(second, stage_two, x, p["stage2_epochs"], p["batch_size"], p["lr"], seed + 1)
        with torch.no_grad():
            u, _ = uniformize(encoder(x))
            codes = torch.round(steps * u).long()
            mse = float(((decoder(codes.float() / steps) - x) ** 2).mean())
        return Codes(codes.numpy(), (p["levels"],) * p["dims"], mse)
