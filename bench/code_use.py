"""How many codes a tokenizer's fit uses at each position, on a dataset's text or co-occurrence vectors.

For each seed it prints the codes used per position (before the dedup position), the distinct
SIDs those positions give, and the reconstruction MSE. The fit runs directly, outside the
cache and its refusal of collapsed fits, so a collapse shows as a row of ones:

    python bench/code_use.py mh-vqvae --input text --set codebook_size=64 --set input_scale=raw
    python bench/code_use.py mh-vqvae --input text --set codebook_size=64

A well-fitted tokenizer uses most of each codebook and gives nearly every item its own SID.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from tabulate import tabulate

from suite.threads import torch_threads
from suite.tokenizers.base import get_tokenizer
from suite.tokenizers.fitting import FIT_THREADS


def code_use_rows(
    name: str, params: Mapping[str, Any], embeddings: np.ndarray, seeds: Sequence[int]
) -> list[dict[str, Any]]:
    """One row per seed: codes used at each position, distinct SIDs, reconstruction MSE."""
    rows = []
    for seed in seeds:
        with torch_threads(FIT_THREADS):  # as the cache fits, so the counts are the trials' own
            fitted = get_tokenizer(name)(dict(params)).fit(embeddings, seed)
        codes = np.asarray(fitted.codes)
        rows.append(
            {
                "seed": seed,
                "codes used": [len(np.unique(column)) for column in codes.T],
                "of": list(fitted.codebook_sizes),
                "distinct SIDs": len(np.unique(codes, axis=0)),
                "items": len(codes),
                "reconstruction MSE": fitted.reconstruction_mse,
            }
        )
    return rows


def main() -> None:
    from suite.config import apply_override
    from suite.data.prepare import prepare
    from suite.errors import ConfigError
    from suite.tokenizers.fitting import tokenizer_input
    from suite.types import DEFAULT_ENCODER, DatasetConfig

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("tokenizer", help="a registered tokenizer, e.g. mh-vqvae")
    parser.add_argument("--input", default="text", help="text | cooccurrence | text+cooccurrence")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a tokenizer parameter")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--history", type=int, default=20, help="the dataset's history cap (co-occurrence)")
    args = parser.parse_args()
    params: dict[str, Any] = {}
    for item in args.set:
        try:
            apply_override(params, item, "bench/code_use.py")
        except ConfigError as error:
            parser.error(str(error))
    data = prepare(DatasetConfig(name="ml-100k", loader="atomic", history=args.history))
    embeddings = tokenizer_input(data, DEFAULT_ENCODER, args.input)
    rows = code_use_rows(args.tokenizer, params, embeddings, args.seeds)
    print(f"{args.tokenizer} {params} on ML-100K {args.input} vectors {embeddings.shape}")
    print(tabulate(rows, headers="keys", floatfmt=".5f"))


if __name__ == "__main__":
    main()
