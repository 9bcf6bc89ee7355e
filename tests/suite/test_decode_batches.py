import torch

from suite.decode_batches import CPU_PASS_TOKENS, users_per_pass


def test_cpu_passes_hold_at_most_the_token_budget_and_other_devices_the_methods_limit():
    cpu, gpu = torch.device("cpu"), torch.device("cuda")
    assert users_per_pass(256, cpu, tokens_per_user=1_050) == CPU_PASS_TOKENS // 1_050
    assert users_per_pass(64, cpu, tokens_per_user=40) == 64  # small passes: the method's limit holds
    assert users_per_pass(64, cpu, tokens_per_user=10 * CPU_PASS_TOKENS) == 1  # never none
    assert users_per_pass(256, gpu, tokens_per_user=1_050) == 256
