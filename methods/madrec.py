"""MADRec: masked diffusion where every token of the sequence is masked at one rate.

Residual k-means SIDs, whole-sequence masking (no separate next-item term), rotary
positions over the token sequence, margin order.
"""

from methods.diffusion.recommender import COMMON_DEFAULTS, COMMON_INFERENCE, DiffusionRecommender
from suite.registry import register


@register("madrec")
class MADRec(DiffusionRecommender):
    defaults = {
        **COMMON_DEFAULTS,
        "tokenizer": {"name": "rq-kmeans"},
        "attention": "bidirectional",
        "positions": "rotary",
        "next_weight": 0.0,
        "sequence_weight": 1.0,
        "loss_weighting": "normalized",  # sum(CE / t) / sum(1 / t), as the authors' code
    }
    inference_defaults = {**COMMON_INFERENCE, "order": "margin"}
