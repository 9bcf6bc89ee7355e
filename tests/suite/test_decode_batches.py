import torch

from suite.decode_batches import CPU_DECODE_USERS, users_per_pass


def test_cpu_passes_are_capped_and_other_devices_take_the_methods_limit():
    cpu, gpu = torch.device("cpu"), torch.device("cuda")
    assert users_per_pass(256, cpu) == CPU_DECODE_USERS
    assert users_per_pass(4, cpu) == 4  # a smaller limit (memory) still holds
    assert users_per_pass(256, gpu) == 256
