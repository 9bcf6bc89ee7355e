"""`bench/throughput.py` counts the FLOPs it reports, the CPU attention kernel's included."""

import torch
import torch.nn.functional as F

from bench.throughput import flop_counter


def test_the_counter_counts_cpu_attention_forward_and_backward_by_hand():
    batch, heads, length, width = 3, 2, 7, 4
    query = torch.randn(batch, heads, length, width, requires_grad=True)
    with flop_counter() as counter:
        out = F.scaled_dot_product_attention(query, query, query)
    forward = 2 * (2 * batch * heads * length * length * width)  # scores = q k^T, then scores v
    assert counter.get_total_flops() == forward
    with flop_counter() as counter:
        out.sum().backward()
    # backward: the scores again, then the gradients of the scores, of v, of q and of k
    assert counter.get_total_flops() == 5 * forward // 2


def test_the_counter_counts_a_linear_layer_as_two_flops_per_multiply_add():
    layer = torch.nn.Linear(5, 3)
    with flop_counter() as counter:
        layer(torch.randn(4, 5))
    assert counter.get_total_flops() == 2 * 4 * 5 * 3


def test_decoding_rows_gain_their_rate_against_tigers_first_row():
    from bench.throughput import against_reference

    rows = [["tiger", "default", 400.0], ["madrec", "4", 100.0], ["madrec", "1", 800.0]]
    assert [row[-1] for row in against_reference(rows, "tiger")] == [1.0, 0.25, 2.0]
    assert [row[-1] for row in against_reference(rows[1:], "tiger")] == [None, None]
