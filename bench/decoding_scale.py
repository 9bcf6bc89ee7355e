"""Constrained diffusion decoding as the catalog grows: the valid-code index against the scan.

The diffusion decoder (`methods.diffusion.decoding.diffusion_beam_search`) with a random score
function, so the decoder's own overhead is what is timed, not a model: 64 users, beam 10,
m = 5 (four codebooks of 256 and a dedup position), T = m, one thread. For each catalog size:
unconstrained decoding, constrained decoding with `ValidCodeIndex` (built once per catalog,
its build timed apart), and the catalog scan it replaced (up to `--scan-up-to` items). Each
figure is the best of `--repeats` runs. Catalogs are random code tuples made unique with a
dedup position, as tokenizers give them.

    python bench/decoding_scale.py                      # 1,682 to 1,000,000 items
    python bench/decoding_scale.py --items 1682 16820   # a quick look
"""

from __future__ import annotations

import argparse
import time

import torch
from tabulate import tabulate

from methods.diffusion.decoding import diffusion_beam_search
from suite.semantic_ids.assembly import make_unique
from suite.semantic_ids.valid_codes import CatalogScan, ValidCodeIndex

USERS, BEAM, CODES, LEVELS = 64, 10, 256, 4


def catalog_of(items: int, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    codes = torch.randint(0, CODES, (items, LEVELS), generator=generator).numpy()
    ids = make_unique(codes, (CODES,) * LEVELS)
    return torch.from_numpy(ids.codes).long()


def scorer(sizes: list[int], seed: int = 0):
    width = max(sizes)
    generator = torch.Generator().manual_seed(seed)
    table = torch.randn(USERS, len(sizes), width, generator=generator)
    beyond = torch.arange(width) >= torch.tensor(sizes)[:, None]

    def score(codes: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
        shift = (codes.clamp(min=0).sum(-1, keepdim=True) % 7).float()[..., None] * 0.1
        return (table[rows] + shift).masked_fill(beyond, float("-inf")).log_softmax(-1)

    return score


def best_of(repeats: int, run) -> float:
    times = []
    for _ in range(repeats):
        clock = time.perf_counter()
        run()
        times.append(time.perf_counter() - clock)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, nargs="+", default=[1_682, 16_820, 168_200, 1_000_000])
    parser.add_argument("--scan-up-to", type=int, default=168_200, help="largest catalog the scan is timed on")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows = []
    for items in args.items:
        catalog = catalog_of(items)
        sizes = (catalog.max(0).values + 1).tolist()
        score = scorer(sizes)
        length = catalog.shape[1]

        def decode(constraint, score=score, length=length):
            return diffusion_beam_search(score, USERS, length, BEAM, "confidence", length, catalog=constraint)

        clock = time.perf_counter()
        index = ValidCodeIndex(catalog)
        decode(index)  # the first call builds the tables decoding asks for
        build = time.perf_counter() - clock
        free = best_of(args.repeats, lambda decode=decode: decode(None))
        indexed = best_of(args.repeats, lambda decode=decode, index=index: decode(index))
        assert torch.equal(decode(index)[0], decode(index)[0])
        scan = None
        if items <= args.scan_up_to:
            scan = best_of(1, lambda decode=decode, catalog=catalog: decode(CatalogScan(catalog)))
            assert torch.equal(decode(index)[0], decode(CatalogScan(catalog))[0])  # the same SIDs
        rows.append(
            [
                f"{items:,}",
                f"{free:.3f}",
                f"{indexed:.3f} ({indexed / free:.1f}x)",
                "–" if scan is None else f"{scan:.2f} ({scan / free:.0f}x)",
                f"{build:.2f}",
                f"{USERS / indexed:,.0f}",
            ]
        )
    headers = ["catalog items", "unconstrained s", "index s (x unconstr.)", "scan s (x)", "index build s", "users/s"]
    print(tabulate(rows, headers=headers, tablefmt="pipe", disable_numparse=True))
    print(f"\n{USERS} users, beam {BEAM}, m = {LEVELS} + dedup, T = m, confidence order, 1 thread; best of runs.")


if __name__ == "__main__":
    main()
