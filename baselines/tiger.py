"""TIGER (Rajput et al., 2023): a T5-style encoder-decoder that generates the next item's SID.

The encoder reads the history's SID tokens, each with a learned embedding of its item's
recency and of its position inside the item. The decoder starts from [BOS] and generates the
m tokens left to right under cross-attention (teacher forcing in training). Position j's
logits are restricted to codebook j. Inference is beam search of width `beam`, batched over
users and beams, one decoder pass per position, constrained by a prefix trie of the
catalog's SIDs so that every beam is a real item; `constrained: false` decodes freely and
reports the share of beams that name no item.

Training examples: each epoch draws `prefixes_per_user` target positions from every user's
training sequence (0 = every prefix, as in the paper; costly on a CPU), each with the up to
`max_items` items before it as history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional

from suite.context import TrainContext
from suite.decode_batches import users_per_pass
from suite.dropout import Dropout
from suite.nn import Block, BlockShape, config_from
from suite.protocol import MethodBase, TopK, context_items
from suite.registry import register
from suite.semantic_ids.trie import PrefixTrie
from suite.semantic_ids.vocabulary import SidVocabulary, item_tokens
from suite.training import PRECISIONS, mixed_precision, prefix_epoch, train_with_early_stopping


@dataclass(frozen=True, kw_only=True)
class TigerConfig(BlockShape):
    """The encoder-decoder's shape: histories of up to `max_items` items."""

    max_items: int
    encoder_layers: int
    decoder_layers: int


class TigerModel(nn.Module):
    def __init__(self, vocab: SidVocabulary, config: TigerConfig):
        super().__init__()
        c = config
        d = c.d_model
        self.token = nn.Embedding(vocab.size, d, padding_idx=vocab["pad"])
        self.recency = nn.Embedding(c.max_items, d)
        self.code_position = nn.Embedding(vocab.length + 1, d)
        block = dict(
            d_model=d,
            heads=c.heads,
            d_kv=c.d_kv,
            d_ff=c.d_ff,
            dropout=c.dropout,
            attention_dropout=c.attention_dropout,
            activation=c.activation,
        )
        self.encoder = nn.ModuleList(Block(**block) for _ in range(c.encoder_layers))
        self.decoder = nn.ModuleList(Block(**block, cross_attention=True) for _ in range(c.decoder_layers))
        self.encoder_norm = nn.LayerNorm(d)
        self.decoder_norm = nn.LayerNorm(d)
        self.dropout = Dropout(c.dropout)
        for embedding in (self.token, self.recency, self.code_position):
            nn.init.normal_(embedding.weight, std=0.02)  # small, so the tied output starts near uniform

    def encode(self, tokens: torch.Tensor, recency: torch.Tensor, position: torch.Tensor) -> torch.Tensor:
        mask = (tokens != 0)[:, None, None, :]
        x = self.dropout(self.token(tokens) + self.recency(recency) + self.code_position(position))
        for block in self.encoder:
            x = block(x, mask=mask)
        return self.encoder_norm(x)

    def memory_keys_values(self, memory: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Each decoder block's cross-attention keys and values of the encoder states `memory`."""
        return [block.memory_keys_values(memory) for block in self.decoder]

    def decode(
        self, memory: list[tuple[torch.Tensor, torch.Tensor]], memory_tokens: torch.Tensor, prefix: torch.Tensor
    ) -> torch.Tensor:
        """Hidden states `[b, t, d]` for decoder input `prefix` ([BOS] + generated tokens), after
        the encoder's `memory_keys_values`; where `memory` has fewer rows than `prefix`, each of
        its rows serves as many consecutive rows of `prefix` (a user's beams)."""
        positions = torch.arange(prefix.shape[1], device=prefix.device)
        x = self.dropout(self.token(prefix) + self.code_position(positions))
        memory_mask = (memory_tokens != 0)[:, None, None, :]
        for block, keys_values in zip(self.decoder, memory, strict=True):
            x = block(x, causal=True, memory=keys_values, memory_mask=memory_mask)
        return self.decoder_norm(x)

    def logits(self, hidden: torch.Tensor, span: slice) -> torch.Tensor:
        """Scores of one codebook's tokens, with the output layer tied to the token embedding."""
        return hidden @ self.token.weight[span].T


def history_tokens(
    histories: Sequence[np.ndarray], sid_tokens: np.ndarray, max_items: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Encoder inputs for histories: tokens, item recency (0 = most recent) and code position."""
    m = sid_tokens.shape[1]
    tokens = item_tokens(histories, sid_tokens, max_items)
    recency = np.repeat(np.arange(max_items - 1, -1, -1), m)[None].repeat(len(histories), 0)
    position = np.tile(np.arange(m), max_items)[None].repeat(len(histories), 0)
    return torch.from_numpy(tokens), torch.from_numpy(recency), torch.from_numpy(position)


@register("tiger")
class Tiger(MethodBase):
    # TIGER's own sizes (4 + 4 layers, d 128, 6 heads of 64, MLP 1024, every prefix) cost about
    # 10 minutes an epoch on one CPU core on ML-100K; the defaults scale them down to 2 + 2
    # layers of d 64 and 8 sampled prefixes per user. configs/tiger-paper-scale.yaml has the paper's.
    defaults = {
        "tokenizer": {"name": "rq-vae"},
        "encoder_layers": 2,
        "decoder_layers": 2,
        "d_model": 64,
        "heads": 4,
        "d_kv": 16,
        "d_ff": 256,
        "dropout": 0.1,
        "attention_dropout": 0.0,
        "activation": "relu",
        "max_items": 0,  # 0: the dataset's `history`, as every row (a row that sets it says so in its table)
        "prefixes_per_user": 8,
        "learning_rate": 0.001,
        "weight_decay": 0.01,
        "batch_size": 64,
        "epochs": 100,
        "patience": 10,
        "decode_batch_users": 128,
        "precision": "fp32",  # bf16: autocast for training and decoding (on a GPU)
        "grad_clip": 0.0,  # max global gradient norm; 0 = off, as TIGER trained before the option
    }
    inference_defaults = {"beam": 10, "constrained": True}
    keyless_at_default = ("grad_clip",)
    choices = {"activation": ("relu", "gelu", "silu"), "precision": PRECISIONS}
    smoke_params = {
        "tokenizer": {"name": "random", "codebook_size": 8},
        "encoder_layers": 1,
        "decoder_layers": 1,
        "d_model": 32,
        "heads": 2,
        "d_kv": 16,
        "d_ff": 64,
        "epochs": 1,
        "prefixes_per_user": 2,
    }

    def fit(self, run: TrainContext) -> None:
        p = self.params
        p["max_items"] = context_items(p, run.history)
        ids = run.semantic_ids(p["tokenizer"])
        self.vocab = SidVocabulary(ids.codebook_sizes, specials=("pad", "bos"))
        self.codes = torch.from_numpy(ids.codes)
        self.sid_tokens = self.vocab.tokens(ids.codes)
        self.device = run.device
        self.trie = PrefixTrie(ids.codes, ids.codebook_sizes).to(run.device)
        self.model = TigerModel(self.vocab, config_from(TigerConfig, p)).to(run.device)
        optimizer = torch.optim.AdamW(self.model.parameters(), lr=p["learning_rate"], weight_decay=p["weight_decay"])
        rng = np.random.default_rng(run.seed)
        sequences = run.data.train_sequences()

        def loss(histories: list[np.ndarray], targets: np.ndarray) -> torch.Tensor:
            with mixed_precision(self.device, p["precision"]):
                return self._loss(histories, targets)

        def train_epoch(epoch: int) -> float:
            return prefix_epoch(
                sequences, p["prefixes_per_user"], p["batch_size"], rng, optimizer, loss, p["grad_clip"]
            )

        train_with_early_stopping(
            run, self, self.model, train_epoch, p["epochs"], p["patience"], resumable=(optimizer, rng)
        )

    def _memory(self, histories: Sequence[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
        tokens, recency, position = history_tokens(histories, self.sid_tokens, self.params["max_items"])
        tokens = tokens.to(self.device)
        return self.model.encode(tokens, recency.to(self.device), position.to(self.device)), tokens

    def _loss(self, histories: Sequence[np.ndarray], targets: np.ndarray) -> torch.Tensor:
        memory, memory_tokens = self._memory(histories)
        target_tokens = torch.from_numpy(self.sid_tokens[targets]).to(self.device)
        bos = torch.full((len(targets), 1), self.vocab["bos"], device=self.device)
        hidden = self.model.decode(
            self.model.memory_keys_values(memory), memory_tokens, torch.cat([bos, target_tokens[:, :-1]], dim=1)
        )
        codes = self.codes[targets].to(self.device)
        losses = [
            functional.cross_entropy(self.model.logits(hidden[:, j], self.vocab.span(j)), codes[:, j])
            for j in range(self.vocab.length)
        ]
        return torch.stack(losses).mean()

    @torch.no_grad()
    def beam_search(
        self, histories: Sequence[np.ndarray], beam: int, constrained: bool
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Best `beam` SIDs `[u, b, m]` and their joint log-probabilities `[u, b]` (-inf: none)."""
        self.model.eval()
        encoded, memory_tokens = self._memory(histories)
        memory = self.model.memory_keys_values(encoded)  # once per user; each beam reads its user's
        users = len(histories)
        codes = torch.zeros(users, 1, 0, dtype=torch.long, device=self.device)
        scores = torch.zeros(users, 1, device=self.device)
        prefix = torch.zeros(users, 1, dtype=torch.long, device=self.device)  # trie node of each beam
        offsets = torch.from_numpy(self.vocab.offsets).to(self.device)
        for j in range(self.vocab.length):
            width = scores.shape[1]
            bos = torch.full((users * width, 1), self.vocab["bos"], device=self.device)
            generated = (codes + offsets[:j]).flatten(0, 1)
            # each user's encoder keys and values serve its `width` beams without a copy each
            hidden = self.model.decode(memory, memory_tokens, torch.cat([bos, generated], dim=1))[:, -1]
            log_probs = self.model.logits(hidden, self.vocab.span(j)).float().log_softmax(-1).view(users, width, -1)
            total = scores[..., None] + log_probs
            children = self.trie.next(prefix.flatten(), j).view(users, width, -1)
            if constrained:
                total = total.masked_fill(children < 0, float("-inf"))
            size = total.shape[-1]
            scores, flat = total.flatten(1).topk(min(beam, width * size), dim=1)
            parent, code = flat // size, flat % size
            codes = torch.cat([codes.gather(1, parent[..., None].expand(-1, -1, j)), code[..., None]], dim=2)
            prefix = children.flatten(1).gather(1, flat)
        return codes, scores

    def recommend(self, histories: Sequence[np.ndarray], k: int, **inference) -> TopK:
        options = {name: inference.get(name, self.params[name]) for name in self.inference_defaults}
        attended = self.params["max_items"] * self.vocab.length  # the history tokens each beam attends to
        chunk = users_per_pass(self.params["decode_batch_users"], self.device, options["beam"] * attended)
        items, scores, invalid = [], [], []
        for start in range(0, len(histories), chunk):
            part = histories[start : start + chunk]
            with mixed_precision(self.device, self.params["precision"]):
                codes, score = self.beam_search(part, options["beam"], options["constrained"])
            found, best, share = self.trie.rank(codes, score, k)
            items.append(found)
            scores.append(best)
            invalid.append(share * len(part))
        extras = {"invalid_share": sum(invalid) / len(histories)}
        return TopK(np.concatenate(items), np.concatenate(scores), nfe=float(self.vocab.length), extras=extras)
