import pytest
import torch

from suite.catalog_topk import catalog_topk


@pytest.mark.parametrize("n_items, chunk, k", [(50, 7, 10), (50, 50, 10), (9, 4, 20), (64, 1, 3)])
def test_chunked_top_k_equals_the_full_product(n_items, chunk, k):
    generator = torch.Generator().manual_seed(n_items + chunk)
    queries, items = torch.randn(6, 8, generator=generator), torch.randn(n_items, 8, generator=generator)
    values, indices = catalog_topk(queries, items, k, chunk=chunk)
    expected_values, expected_indices = torch.topk(queries @ items.T, min(k, n_items), dim=1)
    assert torch.equal(indices, expected_indices)
    assert torch.allclose(values, expected_values)
