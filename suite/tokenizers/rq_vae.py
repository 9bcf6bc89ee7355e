"""`rq-vae` (TIGER): MLP encoder, residual VQ with k-means init, MLP decoder.

The residual VQ is vector-quantize-pytorch's `ResidualVQ`: its codebooks follow an EMA of
their assigned latents (the codebook term of the VQ loss), the commitment term has weight
`beta`, and codes unused for a while are re-seeded from the batch (dead-code handling, the
known cure for RQ-VAE collapse). The reconstruction loss is the summed squared error.
"""

from __future__ import annotations

import numpy as np
import torch
from vector_quantize_pytorch import ResidualVQ

from suite.tokenizers.base import Codes, Tokenizer, register_tokenizer
from suite.tokenizers.networks import mlp, train


@register_tokenizer("rq-vae")
class ResidualVQVAE(Tokenizer):
    # TIGER: latent 32, 3 levels x 256 codes, beta 0.25. 32 codes per level suit ML-100K's 1,682 items.
    defaults = {
        "levels": 3,
        "codebook_size": 32,
        "latent_dim": 32,
        "hidden": [512, 256, 128],
        "beta": 0.25,
        "epochs": 200,
        "batch_size": 256,
        "lr": 0.001,
        "dead_code_threshold": 2,
    }

    def fit(self, embeddings: np.ndarray, seed: int) -> Codes:
        p = self.params
        torch.manual_seed(seed)
        x = torch.as_tensor(np.asarray(embeddings, dtype=np.float32))
        encoder = mlp([x.shape[1], *p["hidden"], p["latent_dim"]])
        decoder = mlp([p["latent_dim"], *reversed(p["hidden"]), x.shape[1]])
        quantizer = ResidualVQ(
            dim=p["latent_dim"],
            num_quantizers=p["levels"],
            codebook_size=p["codebook_size"],
            kmeans_init=True,
            kmeans_iters=10,
            commitment_weight=p["beta"],
            threshold_ema_dead_code=p["dead_code_threshold"],
        )

        def loss(batch: torch.Tensor) -> torch.Tensor:
            quantized, _, commitment = quantizer(encoder(batch))
            return ((decoder(quantized) - batch) ** 2).sum(-1).mean() + commitment.sum()

        modules = (encoder, decoder, quantizer)
        params = [q for module in modules for q in module.parameters()]
        train(params, loss, x, p["epochs"], p["batch_size"], p["lr"], seed)
        for module in modules:
            module.eval()
        with torch.no_grad():
            latent = encoder(x)
            quantized, indices, _, per_level = quantizer(latent, return_all_codes=True)
            mse = float(((decoder(quantized) - x) ** 2).mean())
            residuals = latent[None] - per_level.cumsum(0)
            norms = [float(r.pow(2).sum(-1).mean()) for r in residuals]
        sizes = (p["codebook_size"],) * p["levels"]
        return Codes(indices.numpy().astype(np.int64), sizes, mse, {"residual_sq_norm": norms})
