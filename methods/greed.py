"""GREED: block diffusion over uniform-implicit-quantization SIDs.

Inter-item-causal (block-causal) attention, RMSNorm and SiLU, and mask rates clipped to
U[gamma, gamma + beta] with beta = gamma = 0.5. Training follows the paper's block-diffusion
NELBO (eq. 12): every item block of a window is noised at its own rate and denoised from the
clean blocks before it, all in one pass (`blockwise: false` noises only the last block).
Inference decodes the next block in T steps, the most confident token first, with beam
search.
"""

from collections.abc import Mapping
from typing import Any

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

    @classmethod
    def check_params(cls, params: Mapping[str, Any]) -> str | None:
        """Block-wise training runs clean and noisy copies under one block-causal mask."""
        if params["blockwise"] and (params["attention"] != "inter-item-causal" or params["positions"] != "learned"):
            return (
                "blockwise: true needs attention 'inter-item-causal' and positions 'learned' "
                f"(got {params['attention']!r} and {params['positions']!r}); set blockwise: false for other masks"
            )
        return None

    def _next_item_objective(self, tokens: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        if self.params["blockwise"]:
            return self._blockwise_objective(tokens, generator)
        return super()._next_item_objective(tokens, generator)
