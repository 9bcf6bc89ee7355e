"""The shared building blocks against their definitions: rotary scores depend only on relative
position, and cross-attention keys shared by a user's beams act as a copy per beam."""

import torch

from suite.nn import Attention, Rotary


def test_rotary_scores_depend_on_offset_only():
    torch.manual_seed(0)
    rotary = Rotary(d_kv=8, length=16)
    query, key = torch.randn(8), torch.randn(8)

    def score(i: int, j: int) -> float:
        q = torch.zeros(1, 1, 16, 8)
        k = torch.zeros(1, 1, 16, 8)
        q[0, 0, i], k[0, 0, j] = query, key
        return float(rotary(q)[0, 0, i] @ rotary(k)[0, 0, j])

    assert abs(score(3, 1) - score(10, 8)) < 1e-5
    assert abs(score(3, 1) - score(3, 2)) > 1e-4


def test_rotary_keeps_norms_and_position_zero():
    x = torch.randn(2, 3, 5, 4)
    rotated = Rotary(d_kv=4, length=5)(x)
    assert torch.allclose(rotated.norm(dim=-1), x.norm(dim=-1), atol=1e-5)
    assert torch.allclose(rotated[:, :, 0], x[:, :, 0])


def test_rotary_turns_each_channel_pair_by_its_positions_angle():
    torch.manual_seed(1)
    d_kv, start = 6, 3
    x = torch.randn(2, 1, 4, d_kv)
    rotated = Rotary(d_kv=d_kv, length=10)(x, start=start)
    for position in range(4):
        for pair in range(d_kv // 2):
            angle = torch.tensor((start + position) * 10000.0 ** (-2 * pair / d_kv))
            even, odd = x[..., position, 2 * pair], x[..., position, 2 * pair + 1]
            expected_even = even * angle.cos() - odd * angle.sin()
            expected_odd = even * angle.sin() + odd * angle.cos()
            torch.testing.assert_close(rotated[..., position, 2 * pair], expected_even)
            torch.testing.assert_close(rotated[..., position, 2 * pair + 1], expected_odd)


def test_cross_attention_keys_values_shared_by_consecutive_rows_equal_a_copy_per_row():
    """A user's encoder keys and values serve all its beams: the same as repeating them per beam."""
    torch.manual_seed(0)
    attention = Attention(d_model=16, heads=2, d_kv=8, dropout=0.0).eval()
    memory = torch.randn(3, 5, 16)
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [0, 1, 1, 1, 1]], dtype=torch.bool)[:, None, None, :]
    queries = torch.randn(3 * 4, 2, 16)  # 4 beams a user, 2 decoder tokens each
    key, value = attention.keys_values(memory)
    shared = attention(queries, mask=mask, keys_values=(key, value))
    copied = attention(
        queries,
        mask=mask.repeat_interleave(4, 0),
        keys_values=(key.repeat_interleave(4, 0), value.repeat_interleave(4, 0)),
    )
    torch.testing.assert_close(shared, copied, atol=1e-6, rtol=1e-5)
