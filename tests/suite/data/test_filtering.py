"""k-core filtering against hand-worked cases."""

import numpy as np

from suite.data.filtering import k_core


def test_removal_cascades_until_stable():
    # users 0,1 share items 0,1; user 2 has items 0 and 2; item 2 has one interaction.
    users = np.array([0, 0, 1, 1, 2, 2])
    items = np.array([0, 1, 0, 1, 0, 2])
    # 2-core: item 2 goes, then user 2 has one interaction and goes too.
    assert k_core(users, items, 2).tolist() == [True, True, True, True, False, False]


def test_k_of_one_keeps_everything():
    users, items = np.array([0, 1]), np.array([0, 1])
    assert k_core(users, items, 1).all() and k_core(users, items, 0).all()


def test_everything_can_go():
    assert not k_core(np.array([0, 1]), np.array([0, 1]), 2).any()
