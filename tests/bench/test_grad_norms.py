"""`bench/grad_norms.py`: each optimizer step's global gradient norm and its batch's smallest mask rate."""

import math

import numpy as np
import torch

import methods.diffusion.recommender as recommender
from bench.grad_norms import StepRecord, recording, summary_row


def test_each_step_records_the_global_norm_before_the_step_and_the_smallest_rate_drawn():
    weight = torch.nn.Parameter(torch.zeros(2))
    bias = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([weight, bias], lr=0.1)
    record = StepRecord()
    generator = torch.Generator().manual_seed(0)
    with recording(record):
        drawn = [recommender.sample_rates(4, generator), recommender.sample_rates(3, generator)]
        optimizer.zero_grad()
        (3 * weight[0] + 4 * weight[1] + 12 * bias[0]).backward()  # gradient (3, 4, 12): norm 13
        optimizer.step()
        optimizer.zero_grad()
        (weight.sum() * 0).backward()
        optimizer.step()
    assert record.norms == [13.0, 0.0]
    assert record.smallest_rates[0] == min(float(r.min()) for r in drawn)
    assert math.isnan(record.smallest_rates[1])  # no draw before the second step
    # outside the block nothing is recorded, and the module's own draw is back
    optimizer.step()
    assert len(record.norms) == 2
    assert recommender.sample_rates.__module__ == "methods.diffusion.noise"


def test_the_summary_counts_steps_above_the_clip_and_ranks_norms_against_the_largest_weight():
    record = StepRecord(norms=[0.5, 2.0, 10.0, 0.8], smallest_rates=[0.5, 0.1, 0.01, 0.25])
    row = summary_row("m", "elbo", record, clip=1.0)
    assert row[:3] == ["m", "elbo", 4]
    assert row[3] == np.median([0.5, 2.0, 10.0, 0.8])
    assert row[5] == 10.0
    assert row[6] == "50.0%"
    assert row[7] == 7.0  # the weights 2, 10, 100 and 4: median of 4 and 10
    assert row[8] == 100.0
    assert row[9] == 1.0  # the norms rank as the weights do
