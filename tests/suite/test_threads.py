"""torch_threads sets the thread count for its block and restores it, even on an error."""

import pytest
import torch

from suite.threads import torch_threads


def test_the_block_runs_on_the_given_threads_and_the_callers_come_back():
    previous = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        with pytest.raises(RuntimeError), torch_threads(1):
            assert torch.get_num_threads() == 1
            raise RuntimeError("inside")
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(previous)
