"""The dedup rule, measured on a store: `dedup: last` (the default) against `dedup: ordered`.

For every diffusion row of the store (a row whose trials hold a `dedup=ordered` variant beside
the default) it prints, averaged over the seeds present:
- validation and test NDCG@10 under each rule, and the paired Wilcoxon test on per-user test
  NDCG@10 (averaged over seeds), Holm-corrected over the rows;
- HR@10 on the test users whose target's dedup code is not 0 (the items that share their codes
  with another item), and on the rest, for each rule and for every other SID row (TIGER),
  pooled over (seed, user) pairs: each seed's tokenizer is its own fit, so whether a target
  shares its codes is read from that seed's SIDs.

The SIDs are those each trial kept (`semantic_ids.npz`: the codes it trained on). A trial
stored before trials kept them is refitted through the tokenizer cache, which gives the codes it
trained on only on the machine and cache that ran it (torch-trained tokenizers refit to other
codes elsewhere); the output names such trials. Usage: `python bench/dedup_rule.py results/closer-to-papers`
(configs/closer-to-papers.yaml fills that store), or `results/ml100k` (benchmark.yaml's `dedup`
ablations: the tuned diffusion methods on 3 seeds).
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
from tabulate import tabulate

from suite.data.prepare import prepare
from suite.scoring import score_variant
from suite.semantic_ids.storage import load_semantic_ids
from suite.stats import adjust, paired_test
from suite.store import Store
from suite.tokenizers.fitting import catalog_semantic_ids
from suite.types import DEFAULT_VARIANT, DatasetConfig

ORDERED = "dedup=ordered"
METRICS = ["ndcg@10", "recall@10"]


def dedup_codes(store: Store, key: str, spec: dict) -> tuple[np.ndarray | None, bool]:
    """Each item's dedup code under the trial's SIDs (None where they have none), and whether
    they were refitted rather than read from the trial's kept codes."""
    tokenizer = spec["params"].get("tokenizer")
    if not isinstance(tokenizer, dict):
        return None, False
    kept = store.semantic_ids_file(key)
    refitted = not kept.is_file()
    if refitted:
        dataset = DatasetConfig(**spec["dataset"])
        ids, _ = catalog_semantic_ids(prepare(dataset), dataset.encoder, tokenizer, spec["seed"])
    else:
        ids = load_semantic_ids(kept, tokenizer)
    return (None if ids.dedup_position is None else ids.codes[:, ids.dedup_position]), refitted


def collect(root: Path) -> dict[str, list[dict]]:
    """Per row, one record per seed: per-user test metrics per variant, validation means, dedup codes."""
    store = Store(root)
    rows = defaultdict(list)
    for key in store.trial_keys():
        if not store.has_summary(key):
            continue
        spec, summary = store.read_spec(key), store.read_summary(key)
        per_user = store.read_per_user(key)
        codes, refitted = dedup_codes(store, key, spec)
        if codes is None:
            continue
        variants = {}
        for name, rows_of_variant in per_user.groupby("variant"):
            scores = score_variant(rows_of_variant, METRICS, None).per_user
            scores["nonzero_dedup"] = codes[rows_of_variant["target"].to_numpy()] > 0
            variants[name] = scores.set_index("user")
        valid = {name: v.get("valid_metrics", {}).get("ndcg@10") for name, v in summary["variants"].items()}
        rows[spec["method"]].append({"seed": spec["seed"], "variants": variants, "valid": valid, "refitted": refitted})
    return rows


def seed_mean(records: list[dict], variant: str, metric: str) -> pd.Series:
    """Per-user `metric` of `variant`, averaged over the seeds."""
    return pd.concat([r["variants"][variant][metric] for r in records], axis=1).mean(axis=1)


def dedup_hit_rates(records: list[dict], variant: str) -> tuple[float, float, int]:
    """HR@10 of `variant` over the (seed, user) pairs whose test target has a dedup code above 0
    under that seed's own SIDs (each seed fits its own tokenizer), over the other pairs, and the
    number of the first."""
    pooled = pd.concat([r["variants"][variant][["recall@10", "nonzero_dedup"]] for r in records])
    nonzero = pooled["nonzero_dedup"].to_numpy(dtype=bool)
    hits = pooled["recall@10"].to_numpy()
    return float(hits[nonzero].mean()), float(hits[~nonzero].mean()), int(nonzero.sum())


def _fixed(*values: float) -> list[str]:
    return [f"{value:.4f}" for value in values]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", type=Path)
    args = parser.parse_args()
    rows = collect(args.store)
    compared, pvalues, hits = [], [], []
    for row, records in sorted(rows.items()):
        rules = [DEFAULT_VARIANT, ORDERED] if all(ORDERED in r["variants"] for r in records) else [DEFAULT_VARIANT]
        for variant in rules:
            label = f"{row} ({'last' if variant == DEFAULT_VARIANT else 'ordered'})" if len(rules) > 1 else row
            nonzero_rate, zero_rate, pairs = dedup_hit_rates(records, variant)
            hits.append([label, len(records), f"{nonzero_rate:.4f}", f"{zero_rate:.4f}", pairs])
        if len(rules) < 2:
            continue
        last, ordered = (seed_mean(records, v, "ndcg@10") for v in rules)
        valid = [np.mean([r["valid"][v] for r in records if r["valid"].get(v) is not None]) for v in rules]
        pvalues.append(paired_test(last.to_numpy(), ordered.loc[last.index].to_numpy(), "wilcoxon"))
        compared.append(
            [row, len(records), f"{valid[0]:.4f}", f"{valid[1]:.4f}", f"{last.mean():.4f}", f"{ordered.mean():.4f}"]
        )
    if compared:
        for line, p in zip(compared, adjust(pvalues, "holm"), strict=True):
            line.append(f"{p:.3g}")
        headers = [
            "row",
            "seeds",
            "valid N@10 last",
            "valid N@10 ordered",
            "test N@10 last",
            "test N@10 ordered",
            "p (Holm)",
        ]
        print(tabulate(compared, headers=headers, tablefmt="pipe", disable_numparse=True))
        print("\nWilcoxon signed-rank on per-user test NDCG@10 averaged over seeds, Holm over the rows above.\n")
    headers = ["row (rule)", "seeds", "HR@10, dedup code > 0", "HR@10, dedup code 0", "(seed, user) pairs, code > 0"]
    print(tabulate(hits, headers=headers, tablefmt="pipe", disable_numparse=True))
    print("\nA pair counts where the seed's own SIDs give the user's test target a dedup code above 0.")
    refitted = sorted(f"{row} seed {r['seed']}" for row, records in rows.items() for r in records if r["refitted"])
    if refitted:
        print(
            f"Refitted SIDs (the trial kept none; they are its training codes only on the machine and cache"
            f" that ran it): {', '.join(refitted)}."
        )


if __name__ == "__main__":
    main()
