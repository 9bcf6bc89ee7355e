import pytest
import torch

from suite.training import EarlyStopping


def stopping_epoch(stopper: EarlyStopping, scores: list[float]) -> int | None:
    """The epoch at which `stopper` says stop on these validation scores, or None."""
    model = torch.nn.Linear(1, 1)
    for epoch, score in enumerate(scores, start=1):
        with torch.no_grad():
            model.bias.fill_(epoch)  # the weights say which epoch they are from
        if stopper.update(epoch, score, model):
            return epoch
    return None


def test_suite_rule_stops_at_the_patience_th_epoch_without_a_higher_score():
    stopper = EarlyStopping(patience=2)
    assert stopping_epoch(stopper, [0.1, 0.3, 0.3, 0.2, 0.9]) == 4
    assert stopper.best_epoch == 2


def test_recbole_rule_rounds_to_four_places_counts_ties_and_waits_one_epoch_more():
    # recbole.utils.early_stopping: value >= best resets the count; stop when the count > stopping_step
    stopper = EarlyStopping(patience=2, rule="recbole")
    scores = [0.1, 0.30001, 0.29996, 0.2, 0.25, 0.26, 0.9]  # 0.29996 rounds to 0.3000: a tie, so a gain
    assert stopping_epoch(stopper, scores) == 6
    assert stopper.best_epoch == 3
    model = torch.nn.Linear(1, 1)
    stopper.restore(model)
    assert model.bias.item() == 3  # the later of the tied epochs


def test_unknown_rule_is_named():
    with pytest.raises(ValueError, match="unknown stopping rule 'keras'"):
        EarlyStopping(patience=2, rule="keras")


def test_gradient_clipping_bounds_the_global_norm_and_zero_leaves_it():
    from suite.training import optimizer_step

    def step(clip):
        torch.manual_seed(0)
        weights = torch.nn.Parameter(torch.ones(3))
        optimizer = torch.optim.SGD([weights], lr=1.0)
        loss = (weights * torch.tensor([30.0, 40.0, 0.0])).sum()  # gradient (30, 40, 0): norm 50
        optimizer_step(optimizer, loss, clip)
        return 1.0 - weights.detach()  # the step taken = the gradient used

    assert step(0.0).tolist() == pytest.approx([30.0, 40.0, 0.0])
    assert step(5.0).tolist() == pytest.approx([3.0, 4.0, 0.0], rel=1e-5)
    assert step(100.0).tolist() == pytest.approx([30.0, 40.0, 0.0])  # under the bound: unchanged
