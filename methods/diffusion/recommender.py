"""A masked-diffusion recommender over semantic IDs, configured by its parameters.

LLaDA-Rec, MADRec and GREED are this class with different defaults. Training examples are
windows of up to `max_items` history items plus the next item, drawn `windows_per_user` times
per user and epoch. Two objectives can be weighted:
- `next_weight`: only the target item's tokens are masked (LLaDA-Rec's L_next);
- `sequence_weight`: the tokens of every item, history and target, are masked
  (LLaDA-Rec's L_his, MADRec's whole-sequence masking, GREED's block diffusion).
Mask rates are t ~ U(noise_low, noise_low + noise_width]. Inference masks the target item
and decodes it with `methods.diffusion.decoding` under `order`, `steps` (0 = m) and `beam`;
under a mask that keeps the history from seeing the target, the history runs once per user.
`condition: n` (GREED's conditional recommendation) gives the first n codes of the true
target in advance and decodes the rest; `condition_positions: [0, 2]` gives those positions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from methods.diffusion.decoding import DEDUP_RULES, ORDERS, diffusion_beam_search
from methods.diffusion.masks import ATTENTION_MASKS
from methods.diffusion.noise import LOSS_WEIGHTINGS, corrupt, corrupt_items, masked_diffusion_loss, sample_rates
from methods.diffusion.predictor import POSITIONS, MaskPredictor, PredictorConfig
from suite.context import TrainContext
from suite.decode_batches import users_per_pass
from suite.nn import config_from
from suite.protocol import MethodBase, TopK, context_items
from suite.semantic_ids.trie import PrefixTrie
from suite.semantic_ids.valid_codes import ValidCodeIndex
from suite.semantic_ids.vocabulary import SidVocabulary, item_tokens
from suite.training import PRECISIONS, mixed_precision, prefix_epoch, train_with_early_stopping

COMMON_DEFAULTS: dict[str, Any] = {
    "layers": 2,
    "d_model": 64,
    "heads": 4,
    "d_kv": 16,
    "d_ff": 256,
    "dropout": 0.1,
    "attention_dropout": 0.0,
    "positions": "learned",
    "norm": "layer",
    "activation": "gelu",
    "attention": "bidirectional",
    "max_items": 0,  # 0: the dataset's `history`, as every row (a row that sets it says so in its table)
    "next_weight": 1.0,
    "sequence_weight": 1.0,
    "noise_low": 0.0,
    "noise_width": 1.0,
    "loss_weighting": "elbo",
    "windows_per_user": 16,  # training windows drawn per user and epoch; 0 = every prefix
    "learning_rate": 0.003,
    "weight_decay": 0.01,
    "batch_size": 64,
    "epochs": 100,  # a cap: early stopping ends training (MADRec on co-occurrence SIDs peaked at epoch 34 of 40)
    "patience": 10,  # every trained method stops after 10 epochs without a better validation NDCG@10
    "decode_batch_users": 64,
    "precision": "fp32",  # bf16: autocast for training and decoding (on a GPU)
    # max global gradient norm; 0 = off. benchmark.yaml sets LLaDA-Rec's to 1, chosen on validation
    # (results/reference/tuned-ablations); MADRec and GREED were not measured with it
    "grad_clip": 0.0,
}
COMMON_INFERENCE: dict[str, Any] = {
    "order": "confidence",
    "steps": 0,
    "beam": 10,
    "constrained": True,
    "condition": 0,  # GREED's conditional mode: the true target's first n codes are given
    "condition_positions": [],  # ... or the codes at these positions (e.g. [0, 2])
    # the dedup position after the codes (TIGER's order); `ordered` leaves it to the order rule.
    # Chosen on validation N@10, seed 0 (results/reference/closer-to-papers, bench/dedup_rule.py):
    # LLaDA-Rec .0551 vs .0503, MADRec .0508 vs .0418 (one seed; see the README's caveat)
    "dedup": "last",
}
COMMON_CHOICES = {
    "attention": ATTENTION_MASKS,
    "order": ORDERS,
    "dedup": DEDUP_RULES,
    "norm": ("layer", "rms"),
    "positions": POSITIONS,
    "precision": PRECISIONS,
    "activation": ("gelu", "relu", "silu"),
    "loss_weighting": LOSS_WEIGHTINGS,
}
SMOKE = {
    "layers": 1,
    "d_model": 32,
    "heads": 2,
    "d_kv": 16,
    "d_ff": 64,
    "epochs": 1,
    "windows_per_user": 2,
    "tokenizer": {"name": "random", "codebook_size": 8},
}


class DiffusionRecommender(MethodBase):
    choices = COMMON_CHOICES
    smoke_params = SMOKE
    keyless_at_default = ("grad_clip", "condition_positions")
    # Decode from per-user history keys and values where the attention mask allows it
    # (`MaskPredictor.caches_history`); False runs the whole sequence on every pass, the reference.
    cache_history = True

    @property
    def _decodes_from_cache(self) -> bool:
        return self.cache_history and self.model.caches_history

    def fit(self, run: TrainContext) -> None:
        p = self.params
        p["max_items"] = context_items(p, run.history)
        if p["next_weight"] <= 0 and p["sequence_weight"] <= 0:
            raise ValueError(f"{self.name}: next_weight and sequence_weight cannot both be off")
        sequences = self._training_sequences(run)
        ids = run.semantic_ids(p["tokenizer"], sequences)  # co-occurrence SIDs see what training sees
        self.dedup_position = ids.dedup_position
        self.seed = run.seed
        self.vocab = SidVocabulary(ids.codebook_sizes, specials=("pad", "mask"))
        self.sid_tokens = self.vocab.tokens(ids.codes)
        self.device = run.device
        self.trie = PrefixTrie(ids.codes, ids.codebook_sizes).to(run.device)
        self.catalog = torch.from_numpy(ids.codes)
        self.valid_codes = ValidCodeIndex(self.catalog)  # constrained decoding without scanning the catalog
        shape = config_from(
            PredictorConfig, p, vocab_size=self.vocab.size, m=self.vocab.length, items=p["max_items"] + 1
        )
        self.model = MaskPredictor(shape).to(run.device)
        optimizer = torch.optim.AdamW(self.model.parameters(), lr=p["learning_rate"], weight_decay=p["weight_decay"])
        rng = np.random.default_rng(run.seed)
        generator = torch.Generator().manual_seed(run.seed)

        def loss(histories: list[np.ndarray], targets: np.ndarray) -> torch.Tensor:
            with mixed_precision(self.device, p["precision"]):
                return self._loss(histories, targets, generator)

        def train_epoch(epoch: int) -> float:
            return prefix_epoch(sequences, p["windows_per_user"], p["batch_size"], rng, optimizer, loss, p["grad_clip"])

        train_with_early_stopping(
            run, self, self.model, train_epoch, p["epochs"], p["patience"], resumable=(optimizer, rng, generator)
        )

    def _training_sequences(self, run: TrainContext) -> list[np.ndarray]:
        return run.data.train_sequences()

    def _sequence(self, histories: Sequence[np.ndarray], target_tokens: np.ndarray) -> torch.Tensor:
        history = item_tokens(histories, self.sid_tokens, self.params["max_items"])
        return torch.from_numpy(np.concatenate([history, target_tokens], axis=1)).to(self.device)

    def _objective(self, tokens: torch.Tensor, maskable: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """One mask rate per example over its `maskable` tokens."""
        p = self.params
        rates = sample_rates(len(tokens), generator, p["noise_low"], p["noise_width"]).to(self.device)
        noisy, masked = corrupt(tokens, maskable, rates, self.vocab["mask"], generator)
        return self._masked_loss(self.model(noisy), tokens, masked, rates, maskable)

    def _item_rate_objective(
        self, tokens: torch.Tensor, maskable: torch.Tensor, generator: torch.Generator, exact: bool
    ) -> torch.Tensor:
        """One mask rate per item over its `maskable` tokens (`corrupt_items`), one predictor pass."""
        blocks, block_maskable = tokens.reshape(-1, self.vocab.length), maskable.reshape(-1, self.vocab.length)
        noisy, masked, rates = corrupt_items(blocks, block_maskable, self.vocab["mask"], generator, exact)
        return self._masked_loss(self.model(noisy.reshape(tokens.shape)), blocks, masked, rates, block_maskable)

    def _blockwise_objective(self, tokens: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Block diffusion (GREED eq. 12): every item is noised at its own rate and denoised from
        the clean items before it, all in one pass (`MaskPredictor.blockwise`)."""
        p = self.params
        blocks = tokens.reshape(-1, self.vocab.length)
        maskable = blocks != self.vocab["pad"]
        rates = sample_rates(len(blocks), generator, p["noise_low"], p["noise_width"]).to(self.device)
        noisy, masked = corrupt(blocks, maskable, rates, self.vocab["mask"], generator)
        return self._masked_loss(
            self.model.blockwise(tokens, noisy.reshape(tokens.shape)), blocks, masked, rates, maskable
        )

    def _masked_loss(
        self,
        hidden: torch.Tensor,
        clean: torch.Tensor,
        masked: torch.Tensor,
        rates: torch.Tensor,
        maskable: torch.Tensor,
    ) -> torch.Tensor:
        """The diffusion loss at the `masked` positions of `clean` (`[rows, n]`, one rate per row);
        `hidden` holds the predictor's states in the same token order."""
        picked = hidden.reshape(*masked.shape, -1)[masked]
        rows = masked.nonzero()[:, 0]
        logits = self.model.logits(picked)
        return masked_diffusion_loss(logits, clean[masked], rows, rates, maskable, self.params["loss_weighting"])

    def _target_only(self, tokens: torch.Tensor) -> torch.Tensor:
        target = torch.zeros_like(tokens, dtype=torch.bool)
        target[:, -self.vocab.length :] = True
        return target

    def _next_item_objective(self, tokens: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """L_next: only the last item's tokens are noised; the history stays clean."""
        return self._objective(tokens, self._target_only(tokens), generator)

    def _sequence_objective(self, tokens: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """L_his / whole-sequence masking: every item's tokens, the target's included, are noised."""
        return self._objective(tokens, tokens != self.vocab["pad"], generator)

    def _loss(self, histories: Sequence[np.ndarray], targets: np.ndarray, generator: torch.Generator) -> torch.Tensor:
        p = self.params
        tokens = self._sequence(histories, self.sid_tokens[targets])
        loss = torch.zeros((), device=self.device)
        if p["next_weight"] > 0:
            loss = loss + p["next_weight"] * self._next_item_objective(tokens, generator)
        if p["sequence_weight"] > 0:
            loss = loss + p["sequence_weight"] * self._sequence_objective(tokens, generator)
        return loss

    def _scorer(self, histories: Sequence[np.ndarray]):
        """The decoder's view of the predictor: partial target codes -> per-position log-probs."""
        history = torch.from_numpy(item_tokens(histories, self.sid_tokens, self.params["max_items"])).to(self.device)
        offsets = torch.from_numpy(self.vocab.offsets).to(self.device)
        width = max(self.vocab.sizes)
        index = offsets[:, None] + torch.arange(width, device=self.device)[None]  # [m, width]
        beyond = (
            torch.arange(width, device=self.device)[None] >= torch.tensor(self.vocab.sizes, device=self.device)[:, None]
        )

        cache = self.model.history_cache(history) if self._decodes_from_cache else None

        def score(codes: torch.Tensor, users: torch.Tensor) -> torch.Tensor:
            codes = codes.to(self.device)
            target = torch.where(codes >= 0, codes + offsets, torch.full_like(codes, self.vocab["mask"]))
            # the search groups the rows by user (`ScoreFn`), so `users` needs no reading here
            candidates = target.unflatten(0, (len(history), -1))
            if cache is None:
                hidden = self.model.candidate_states(history, candidates).flatten(0, 1)
            else:
                hidden = self.model.target_states(cache, candidates).flatten(0, 1)
            log_probs = self.model.logits(hidden).float().log_softmax(-1)  # over the whole vocabulary
            picked = log_probs.gather(2, index.clamp(max=log_probs.shape[-1] - 1)[None].expand(len(codes), -1, -1))
            return picked.masked_fill(beyond[None], float("-inf")).cpu()

        return score

    def _random_ranks(self, users: int) -> torch.Tensor:
        """`[users, m]` uniform draws that rank the positions under the `random` order: one draw a
        block of `decode_batch_users` users, seeded by the trial's seed and the block's first user,
        so the order a user gets does not depend on how many users a pass takes."""
        block, parts = self.params["decode_batch_users"], []
        for start in range(0, users, block):
            seed = int(np.random.SeedSequence([self.seed, start]).generate_state(1)[0])
            generator = torch.Generator().manual_seed(seed)
            parts.append(torch.rand(min(block, users - start), self.vocab.length, generator=generator))
        return torch.cat(parts) if parts else torch.empty(0, self.vocab.length)

    def _given_positions(self, options: dict[str, Any]) -> list[int]:
        """The target's SID positions given in advance: `condition_positions`, or the first `condition`."""
        condition, positions = options["condition"], list(options["condition_positions"])
        m = self.vocab.length
        if condition and positions:
            raise ValueError(f"{self.name}: give condition or condition_positions, not both")
        if condition and not 0 < condition < m:
            raise ValueError(f"{self.name}: condition must lie in 0..{m - 1}, got {condition}")
        if positions and (len(set(positions)) != len(positions) or len(positions) >= m or max(positions) >= m):
            raise ValueError(f"{self.name}: condition_positions: distinct positions in 0..{m - 1}, one left free")
        return positions or list(range(condition))

    def _given(self, targets: np.ndarray | None, positions: list[int]) -> torch.Tensor | None:
        """`[users, m]` codes fixed in advance: each true target's codes at `positions`."""
        if not positions:
            return None
        if targets is None:
            raise ValueError(f"{self.name}: conditional recommendation (positions {positions}) needs the true targets")
        given = torch.full((len(targets), self.vocab.length), -1, dtype=torch.long)
        given[:, positions] = self.catalog[torch.as_tensor(targets)][:, positions]
        return given

    @torch.no_grad()
    def recommend(
        self, histories: Sequence[np.ndarray], k: int, targets: np.ndarray | None = None, **inference
    ) -> TopK:
        self.model.eval()
        options = {name: inference.get(name, self.params[name]) for name in self.inference_defaults}
        positions = self._given_positions(options)
        given = self._given(targets, positions)
        steps = options["steps"] or self.vocab.length - len(positions)
        catalog = self.valid_codes if options["constrained"] else None
        sequence = self.vocab.length * (1 if self._decodes_from_cache else self.model.items)  # tokens a beam runs
        chunk = users_per_pass(self.params["decode_batch_users"], self.device, options["beam"] * sequence)
        random_rank = self._random_ranks(len(histories))
        items, scores, invalid = [], [], 0.0
        for start in range(0, len(histories), chunk):
            part = histories[start : start + chunk]
            with mixed_precision(self.device, self.params["precision"]):
                codes, score = diffusion_beam_search(
                    self._scorer(part),
                    len(part),
                    self.vocab.length,
                    options["beam"],
                    options["order"],
                    steps,
                    catalog=catalog,
                    given=None if given is None else given[start : start + chunk],
                    last=self.dedup_position if options["dedup"] == "last" else None,
                    random_rank=random_rank[start : start + chunk],
                )
            found, best, share = self.trie.rank(codes.to(self.device), score.to(self.device), k)
            items.append(found)
            scores.append(best)
            invalid += share * len(part)
        extras = {"invalid_share": invalid / len(histories), "steps": steps}
        return TopK(np.concatenate(items), np.concatenate(scores), nfe=float(steps), extras=extras)
