"""MADRec: masked diffusion where every token of the sequence is masked at one rate.

Residual k-means SIDs, whole-sequence masking (no separate next-item term), rotary
positions over the token sequence, margin order. The paper's extras: `drop_fraction` trains
on sparsified sequences (its data-constrained study: that share of every training sequence
is dropped, at least 3 items kept; validation and test histories stay whole), and
`tokenizer: {name: item-id}` is its item-ID mode, one token per item.
"""

import numpy as np

from methods.diffusion.recommender import COMMON_DEFAULTS, COMMON_INFERENCE, DiffusionRecommender
from suite.context import TrainContext
from suite.data.sparsify import drop_items
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
        "drop_fraction": 0.0,  # the paper's data-constrained runs use 0.25 to 0.75
    }
    inference_defaults = {**COMMON_INFERENCE, "order": "margin"}

    def _training_sequences(self, run: TrainContext) -> list[np.ndarray]:
        sequences = super()._training_sequences(run)
        if not self.params["drop_fraction"]:
            return sequences
        # a stream of its own, so that the training draws stay those of a run without dropping
        return drop_items(sequences, self.params["drop_fraction"], np.random.default_rng([run.seed, 1]))
