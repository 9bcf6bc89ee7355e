"""`mh-vqvae` (LLaDA-Rec): MLP encoder, M parallel heads each with its own codebook, MLP decoder.

z = encoder(e) is cut into M equal sub-vectors; sub-vector m is replaced by its nearest code
in codebook m alone, so no token depends on another. Loss, per LLaDA-Rec:
||e - e_hat||^2 + mean_m(||sg[z_m] - c_m||^2 + beta ||z_m - sg[c_m]||^2), beta = 0.25.
The reconstruction term is averaged over the embedding's dimensions, as the authors' code
computes it (an MSE), by default; `reconstruction: sum` is the paper's squared norm, which
weighs it d times more (64 to 384 here) against the VQ terms.
The codebooks start from k-means on the first encoder outputs.

The input is centred and scaled by one number to an average per-dimension variance of 1
(`input_scale: unit-variance`, the default), which keeps its geometry. Unit-length sentence
embeddings of d dimensions vary by about 1/d per dimension (0.0015 for ML-100K's 384-dim
MiniLM vectors), so on `raw` input the averaged reconstruction term is some 1/d of the VQ
terms, and the encoder's cheapest path is to send every item to one point: on ML-100K's text
every head kept a single code within 5 epochs, and only the dedup position told items apart.

Written here rather than with vector-quantize-pytorch's multi-head `VectorQuantize`, whose
codebooks follow an EMA instead of this gradient loss.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from suite.tokenizers.base import COLLISION_RULES, Codes, Tokenizer, register_tokenizer
from suite.tokenizers.networks import kmeans, mlp, train


class MultiHeadQuantizer(nn.Module):
    """`heads` codebooks of `size` codes; head m only ever sees slice m of the input."""

    def __init__(self, heads: int, size: int, head_dim: int):
        super().__init__()
        self.heads, self.head_dim = heads, head_dim
        self.codebooks = nn.Parameter(torch.randn(heads, size, head_dim) * 0.01)

    def split(self, z: torch.Tensor) -> torch.Tensor:
        return z.reshape(len(z), self.heads, self.head_dim)

    def codes(self, z: torch.Tensor) -> torch.Tensor:
        """`[n, heads]` index of the nearest code of each head's own codebook."""
        parts = self.split(z).transpose(0, 1)  # [heads, n, d]
        return torch.cdist(parts, self.codebooks).argmin(-1).T

    def forward(self, z: torch.Tensor, beta: float) -> tuple[torch.Tensor, torch.Tensor]:
        parts = self.split(z)
        codes = self.codes(z)
        chosen = self.codebooks[torch.arange(self.heads), codes]  # [n, heads, d]
        codebook_loss = ((parts.detach() - chosen) ** 2).sum(-1)
        commitment = ((parts - chosen.detach()) ** 2).sum(-1)
        loss = (codebook_loss + beta * commitment).mean(-1).mean()
        straight_through = parts + (chosen - parts).detach()
        return straight_through.reshape(len(z), -1), loss


def unit_variance(embeddings: np.ndarray) -> tuple[np.ndarray, float]:
    """Centred, then divided by one number so the average per-dimension variance is 1; and that number."""
    x = np.asarray(embeddings, dtype=np.float64)
    x = x - x.mean(0)
    scale = float(np.sqrt((x**2).mean())) or 1.0
    return (x / scale).astype(np.float32), scale


@register_tokenizer("mh-vqvae")
class MultiHeadVQVAE(Tokenizer):
    # LLaDA-Rec: z of 128 dims, 4 heads x 256 codes. 32 codes per head suit ML-100K's 1,682 items.
    defaults = {
        "heads": 4,
        "codebook_size": 32,
        "hidden": [512, 256, 128],
        "beta": 0.25,
        "epochs": 200,
        "batch_size": 256,
        "lr": 0.001,
        "reconstruction": "mean",  # the authors' MSE; `sum`: the paper's ||e - e_hat||^2
        "collisions": "dedup",  # sinkhorn: the authors' reassignment on the last head, no dedup token
        # chosen on the fit's own code use, no recommender score read (bench/code_use.py: 38 to 54 of
        # 64 codes a head on ML-100K text, against 1 when raw); raw: the embeddings as given
        "input_scale": "unit-variance",
    }
    choices = {
        "reconstruction": ("mean", "sum"),
        "collisions": COLLISION_RULES,
        "input_scale": ("unit-variance", "raw"),
    }
    keyless_at_default = ("collisions",)

    def fit(self, embeddings: np.ndarray, seed: int) -> Codes:
        p = self.params
        torch.manual_seed(seed)
        if p["input_scale"] == "unit-variance":
            scaled, scale = unit_variance(embeddings)
        else:
            scaled, scale = np.asarray(embeddings, dtype=np.float32), 1.0
        x = torch.as_tensor(scaled)
        latent = p["hidden"][-1]
        if latent % p["heads"]:
            raise ValueError(f"mh-vqvae: latent size {latent} is not divisible by heads={p['heads']}")
        encoder = mlp([x.shape[1], *p["hidden"]])
        decoder = mlp([*reversed(p["hidden"]), x.shape[1]])
        quantizer = MultiHeadQuantizer(p["heads"], p["codebook_size"], latent // p["heads"])
        with torch.no_grad():
            parts = quantizer.split(encoder(x)).numpy()
            for head in range(p["heads"]):
                centroids, _ = kmeans(parts[:, head], p["codebook_size"], seed + head)
                quantizer.codebooks[head] = torch.from_numpy(centroids)

        reduce = torch.mean if p["reconstruction"] == "mean" else torch.sum

        def loss(batch: torch.Tensor) -> torch.Tensor:
            quantized, vq_loss = quantizer(encoder(batch), p["beta"])
            return reduce((decoder(quantized) - batch) ** 2, -1).mean() + vq_loss

        params = [*encoder.parameters(), *decoder.parameters(), *quantizer.parameters()]
        train(params, loss, x, p["epochs"], p["batch_size"], p["lr"], seed)
        with torch.no_grad():
            z = encoder(x)
            codes = quantizer.codes(z)
            quantized, _ = quantizer(z, p["beta"])
            mse = float(((decoder(quantized) - x) ** 2).mean()) * scale**2  # in the embeddings' own scale
            last_head = quantizer.split(z)[:, -1]
            costs = (torch.cdist(last_head, quantizer.codebooks[-1]) ** 2).numpy()
        return Codes(codes.numpy().astype(np.int64), (p["codebook_size"],) * p["heads"], mse, last_level_costs=costs)
