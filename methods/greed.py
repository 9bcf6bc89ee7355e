"""GREED: block diffusion over uniform-implicit-quantization SIDs.

Inter-item-causal (block-causal) attention, RMSNorm and SiLU, and mask rates clipped to
U[gamma, gamma + beta] with beta = gamma = 0.5. Training follows the paper's block-diffusion
NELBO (eq. 12): every item block of a window is noised at its own rate and denoised from the
clean blocks before it, all in one pass (`blockwise: false` noises only the last block).
Inference decodes the next block in T steps, the most confident token first, with beam
search.
"""

import torch

from methods.diffusion.recommender import COMMON_DEFAULTS, COMMON_INFERENCE, DiffusionRecommender
from suite.registry import register


@register("greed")
class GREED(DiffusionRecommender):
    defaults = {
        **COMMON_DEFAULTS,
        "tokenizer": {"name": "uiq"},
        "attention": "inter-item-causal",
        "norm": "rms",
        "activation": "silu",
        "next_weight": 1.0,
        "sequence_weight": 0.0,
        "noise_low": 0.5,
        "noise_width": 0.5,
        "blockwise": True,
    }
    inference_defaults = {**COMMON_INFERENCE, "order": "confidence"}

    def _next_item_objective(self, tokens: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        if self.params["blockwise"]:
            return self._blockwise_objective(tokens, generator)
        return super()._next_item_objective(tokens, generator)
