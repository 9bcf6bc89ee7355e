import numpy as np
import pytest
import torch

from baselines.sasrec import IGNORE, SASRec, left_aligned, training_windows
from suite.matrix import DEFAULT_VARIANT
from tests.synthetic import successor_chain_trial


def test_every_target_is_counted_exactly_once():
    rng = np.random.default_rng(0)
    sequences = [rng.integers(0, 50, size=n) for n in (2, 5, 17, 40, 41, 100)]
    inputs, targets = training_windows(sequences, length=8, stride=4)
    counted = targets[targets != IGNORE]
    expected = np.concatenate([s[1:] for s in sequences])
    assert sorted(counted.tolist()) == sorted(expected.tolist())
    assert len(counted) == sum(len(s) - 1 for s in sequences)


def test_targets_are_the_next_item_of_each_input():
    seq = np.arange(10)
    inputs, targets = training_windows([seq], length=4, stride=2)
    for row_in, row_out in zip(inputs, targets, strict=True):
        for x, y in zip(row_in, row_out, strict=True):
            if y != IGNORE:
                assert y == x  # input ids are shifted by one for padding, so item x-1 is followed by x


def test_counted_targets_have_enough_context():
    seq = np.arange(30)
    inputs, targets = training_windows([seq], length=8, stride=4)
    for row_in, row_out in zip(inputs, targets, strict=True):
        positions = np.flatnonzero(row_out != IGNORE)
        if row_in[0] != 1:  # not the window at the start of the sequence
            assert positions.min() >= 8 - 4 - 1


def test_shifted_windows_count_every_target_once_and_move_the_boundaries():
    rng = np.random.default_rng(1)
    sequences = [rng.integers(0, 50, size=n) for n in (2, 9, 23, 40)]
    for shifts in ([1, 1, 1, 1], [4, 2, 3, 1], [4, 4, 4, 4]):
        inputs, targets = training_windows(sequences, length=8, stride=4, shifts=shifts)
        counted = np.sort(targets[targets != IGNORE])
        assert counted.tolist() == sorted(np.concatenate([s[1:] for s in sequences]).tolist())
    # shift = stride is the fixed windows
    fixed = training_windows(sequences, length=8, stride=4)
    same = training_windows(sequences, length=8, stride=4, shifts=[4] * 4)
    assert all(np.array_equal(a, b) for a, b in zip(fixed, same, strict=True))
    # 0..22 (22 targets): the last window counts targets 21 and 22 only, the one before 17..20
    seq = np.arange(23)
    inputs, targets = training_windows([seq], length=8, stride=4, shifts=[2])
    assert [row[row != IGNORE].tolist() for row in targets[:2]] == [[21, 22], [17, 18, 19, 20]]
    assert inputs[1][-1] == 20  # that window ends at item 19 (id + 1), whose next item is 20


def test_left_aligned_batch():
    batch, lengths = left_aligned([np.array([4, 5, 6]), np.array([1])], length=2)
    assert batch.tolist() == [[6, 7], [2, 0]]
    assert lengths.tolist() == [2, 1]


@pytest.mark.slow
@pytest.mark.parametrize("training, loss", [("windows", "ce"), ("prefixes", "ce"), ("windows", "bce")])
def test_both_training_regimens_learn_a_planted_successor(training, loss, tmp_path):
    params = {
        **SASRec.defaults,
        "training": training,
        "loss": loss,
        "hidden_size": 32,
        "inner_size": 64,
        "hidden_dropout_prob": 0.0,
        "attn_dropout_prob": 0.0,
        "learning_rate": 0.01,
        "batch_size": 64,
        "epochs": 30,
        "patience": 30,
    }
    summary = successor_chain_trial("sasrec", tmp_path, params)
    assert summary["variants"][DEFAULT_VARIANT]["metrics"]["recall@1"] > 0.9


def test_training_loss_is_recboles_ce():
    from recbole.data.interaction import Interaction

    from baselines.sasrec import _build_model

    method = SASRec({})
    method.model = _build_model(method.params, n_items=30, length=6, device=torch.device("cpu"))
    method.model.eval()  # no dropout, so both losses see the same network
    histories = [np.array([3, 7, 1]), np.array([0, 29, 5, 5, 12, 8, 2])]
    targets = np.array([4, 0])
    seq, lengths = left_aligned(histories, 6)
    batch = Interaction({"item_id_list": seq, "item_length": lengths, "item_id": torch.from_numpy(targets) + 1})
    with torch.no_grad():
        ours = method._loss(method.model(seq, lengths), torch.from_numpy(targets))
        theirs = method.model.calculate_loss(batch)
    assert ours.item() == pytest.approx(theirs.item(), rel=1e-6)


def test_bce_loss_is_one_sampled_negative_per_position_by_hand():
    from baselines.sasrec import SASRecBCE, _build_model

    method = SASRecBCE({})
    method.model = _build_model(method.params, n_items=5, length=4, device=torch.device("cpu"))
    hidden = torch.randn(6, method.params["hidden_size"], generator=torch.Generator().manual_seed(1))
    targets = torch.tensor([0, 1, 2, 3, 4, 4])
    loss = method._window_loss(hidden, targets, torch.Generator().manual_seed(7))
    # the same draws, by hand: uniform over the 4 items that are not the target
    draws = torch.randint(0, 4, targets.shape, generator=torch.Generator().manual_seed(7))
    negatives = draws + (draws >= targets).long()
    assert not (negatives == targets).any() and negatives.max() <= 4
    rows = method.model.item_embedding.weight.detach()
    sigmoid = torch.sigmoid
    positive = sigmoid((hidden * rows[targets + 1]).sum(-1))
    negative = sigmoid((hidden * rows[negatives + 1]).sum(-1))
    by_hand = -(torch.log(positive).mean() + torch.log(1 - negative).mean())
    assert loss.item() == pytest.approx(by_hand.item(), rel=1e-5)


def test_bce_needs_the_windows_regimen():
    from baselines.sasrec import SASRecBCE

    assert SASRecBCE.check_params({**SASRecBCE.defaults}) is None
    assert "needs training: windows" in SASRecBCE.check_params({**SASRecBCE.defaults, "training": "prefixes"})
