"""GREED: block diffusion over uniform-implicit-quantization SIDs.

Inter-item-causal (block-causal) attention, RMSNorm and SiLU, and mask rates clipped to
U[gamma, gamma + beta] with beta = gamma = 0.5. Training noises the next item's block while
the blocks before it stay clean, as at inference, where the next block is decoded in T
steps, the most confident token first, with beam search.
"""

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
    }
    inference_defaults = {**COMMON_INFERENCE, "order": "confidence"}
