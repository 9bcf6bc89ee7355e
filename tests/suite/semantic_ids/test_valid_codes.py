"""The valid-code index gives exactly the scan's answers, for any fixed positions and catalogs."""

import itertools

import pytest
import torch

from suite.semantic_ids.valid_codes import ValidCodeIndex, scan_valid_tokens


def random_catalog(generator, items: int, sizes: tuple[int, ...]) -> torch.Tensor:
    return torch.stack([torch.randint(0, size, (items,), generator=generator) for size in sizes], dim=1)


def random_queries(generator, catalog: torch.Tensor, n: int, free_share: float):
    """Partly fixed SIDs: half copied from catalog items (so mostly still valid), half random."""
    items, m = catalog.shape
    codes = catalog[torch.randint(0, items, (n,), generator=generator)].clone()
    noise = random_catalog(generator, n, tuple(int(s) + 1 for s in catalog.max(0).values))
    codes[n // 2 :] = noise[n // 2 :]
    codes[torch.rand(n, m, generator=generator) < free_share] = -1
    position = torch.randint(0, m, (n,), generator=generator)
    codes[torch.arange(n), position] = -1  # the asked position is free
    return codes, position


@pytest.mark.parametrize(("items", "sizes"), [(50, (4, 4, 3)), (400, (8, 8, 8, 5)), (2000, (16, 16, 16, 2)), (7, (3,))])
@pytest.mark.parametrize("free_share", [0.0, 0.3, 0.7, 1.0])
def test_the_index_answers_as_the_scan_does(items, sizes, free_share):
    generator = torch.Generator().manual_seed(items + int(10 * free_share))
    catalog = random_catalog(generator, items, sizes)
    index = ValidCodeIndex(catalog)
    codes, position = random_queries(generator, catalog, 300, free_share)
    size = max(sizes) + 2  # the decoder's width can exceed every codebook
    expected = scan_valid_tokens(codes, catalog, position, size)
    assert torch.equal(index.valid(codes, position, size), expected)
    assert expected.any()  # the cases are not all empty


def test_every_subset_of_fixed_positions_on_a_tiny_catalog():
    catalog = torch.tensor([[0, 1, 2], [0, 1, 0], [1, 1, 2], [2, 0, 1], [0, 0, 0]])
    index = ValidCodeIndex(catalog)
    queries, positions = [], []
    for fixed in itertools.product([-1, 0, 1, 2], repeat=3):
        for position in range(3):
            query = list(fixed)
            query[position] = -1
            queries.append(query)
            positions.append(position)
    codes, position = torch.tensor(queries), torch.tensor(positions)
    assert torch.equal(index.valid(codes, position, 3), scan_valid_tokens(codes, catalog, position, 3))


def test_a_code_space_too_large_for_one_key_falls_back_to_the_scan():
    catalog = torch.tensor([[2**40, 2**30, 5], [1, 2, 3]])
    index = ValidCodeIndex(catalog)
    assert not index.fits
    codes, position = torch.tensor([[1, -1, -1]]), torch.tensor([2])
    assert index.valid(codes, position, 6).nonzero().tolist() == [[0, 3]]


def test_building_every_table_ahead_gives_the_same_answers():
    generator = torch.Generator().manual_seed(3)
    catalog = random_catalog(generator, 300, (6, 5, 4))
    ahead, lazy = ValidCodeIndex(catalog), ValidCodeIndex(catalog)
    entries = ahead.build_all()
    assert len(ahead.tables) == 3 * 2**2 and entries == sum(len(t) for t in ahead.tables.values())  # m * 2^(m-1)
    codes, position = random_queries(generator, catalog, 200, 0.4)
    assert torch.equal(ahead.valid(codes, position, 6), lazy.valid(codes, position, 6))
