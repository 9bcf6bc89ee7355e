"""LLaDA-Rec: bidirectional masked diffusion over multi-head VQ-VAE semantic IDs.

Loss L_next + lambda * L_his (either can be switched off: `next_weight: 0` or
`sequence_weight: 0` are the paper's 'w/o L_next' and 'w/o L_his' ablations; lambda = 4 as in
the authors' runs), confidence order, T = m steps, beam search. Paper sizes (d 256, 8 heads,
4 layers, 4 x 256 codes) are scaled to run on 2 CPU cores on ML-100K.

`item_rates: true` is the noise of the authors' public code instead of the paper's one rate
per sequence: in L_his every item draws its own rate r/m (r in 0..m), and L_next masks
exactly r in 1..m of the target's tokens.
"""

import torch

from methods.diffusion.recommender import COMMON_DEFAULTS, COMMON_INFERENCE, DiffusionRecommender
from suite.registry import register


@register("llada-rec")
class LLaDARec(DiffusionRecommender):
    defaults = {
        **COMMON_DEFAULTS,
        "tokenizer": {"name": "mh-vqvae"},
        "attention": "bidirectional",
        "sequence_weight": 4.0,  # lambda; the authors' runs use 3.5 to 5
        "learning_rate": 0.002,
        "item_rates": False,
    }
    inference_defaults = {**COMMON_INFERENCE, "order": "confidence"}

    def _next_item_objective(self, tokens: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        if not self.params["item_rates"]:
            return super()._next_item_objective(tokens, generator)
        return self._item_rate_objective(tokens, self._target_only(tokens), generator, exact=True)

    def _sequence_objective(self, tokens: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        if not self.params["item_rates"]:
            return super()._sequence_objective(tokens, generator)
        return self._item_rate_objective(tokens, tokens != self.vocab["pad"], generator, exact=False)
