import pytest
import torch

from suite.catalog_topk import catalog_cross_entropy, catalog_topk


@pytest.mark.parametrize("n_items, chunk, k", [(50, 7, 10), (50, 50, 10), (9, 4, 20), (64, 1, 3)])
def test_chunked_top_k_equals_the_full_product(n_items, chunk, k):
    generator = torch.Generator().manual_seed(n_items + chunk)
    queries, items = torch.randn(6, 8, generator=generator), torch.randn(n_items, 8, generator=generator)
    values, indices = catalog_topk(queries, items, k, chunk=chunk)
    expected_values, expected_indices = torch.topk(queries @ items.T, min(k, n_items), dim=1)
    assert torch.equal(indices, expected_indices)
    assert torch.allclose(values, expected_values)


def test_the_loss_in_pieces_equals_the_whole_loss_and_its_gradients():
    generator = torch.Generator().manual_seed(0)
    hidden = torch.randn(37, 8, generator=generator, requires_grad=True)
    table = torch.randn(50, 8, generator=generator, requires_grad=True)
    targets = torch.randint(0, 50, (37,), generator=generator)
    whole = torch.nn.functional.cross_entropy(hidden @ table.T, targets)
    whole_grads = torch.autograd.grad(whole, (hidden, table))
    pieces = catalog_cross_entropy(hidden, table, targets, budget=50 * 5)  # 5 positions a piece: 8 pieces
    piece_grads = torch.autograd.grad(pieces, (hidden, table))
    torch.testing.assert_close(pieces, whole)
    for got, expected in zip(piece_grads, whole_grads, strict=True):
        torch.testing.assert_close(got, expected)
    one = catalog_cross_entropy(hidden, table, targets)  # fits the budget: the plain computation, bit for bit
    assert torch.equal(one, whole)
