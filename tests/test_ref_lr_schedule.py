"""The lr_schedule reference against torch's schedulers: LambdaLR driving a dummy
optimizer with HF's multiplier (get_cosine_with_min_lr_schedule_with_warmup's formula,
clamped), CosineAnnealingLR for the decay phase, and the prompt's worked example."""
import math

import pytest
import torch
from torch.optim.lr_scheduler import CosineAnnealingLR, LambdaLR

from grader.catalog import load_catalog
from grader.runner import load_module

REF = load_module(load_catalog().get("lr_schedule").solution_path, "test_ref_lr_schedule_solution")
CASES = [(1.0, 2, 6, 0.1), (3e-4, 0, 10, 0.0), (6e-4, 100, 1000, 6e-5), (0.1, 7, 8, 0.05), (1e-3, 1, 50, 1e-3)]


def _dummy_optimizer(lr):
    return torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)


def _hf_multiplier(warmup, total, min_lr_rate):
    """HF's lambda (transformers.optimization, num_cycles=0.5, min_lr_rate), progress clamped to 1."""
    def lr_lambda(current_step):
        if current_step < warmup:
            return float(current_step) / float(max(1, warmup))
        progress = float(current_step - warmup) / float(max(1, total - warmup))
        factor = 0.5 * (1.0 + math.cos(math.pi * 0.5 * 2.0 * min(progress, 1.0)))
        return max(0.0, factor * (1 - min_lr_rate) + min_lr_rate)
    return lr_lambda


@pytest.mark.parametrize("max_lr,warmup,total,min_lr", CASES)
def test_equals_lambda_lr_driving_an_optimizer(max_lr, warmup, total, min_lr):
    opt = _dummy_optimizer(max_lr)
    sched = LambdaLR(opt, _hf_multiplier(warmup, total, min_lr / max_lr))
    for step in range(total + 20):
        want = opt.param_groups[0]["lr"]
        assert REF.lr_at(step, max_lr, warmup, total, min_lr) == pytest.approx(want, rel=1e-12, abs=1e-15 * max_lr)
        opt.step()
        sched.step()


@pytest.mark.parametrize("max_lr,warmup,total,min_lr", CASES)
def test_decay_phase_equals_cosine_annealing(max_lr, warmup, total, min_lr):
    opt = _dummy_optimizer(max_lr)
    sched = CosineAnnealingLR(opt, T_max=total - warmup, eta_min=min_lr)
    for step in range(warmup, total + 1):  # torch's chainable form accumulates rounding: 1e-9
        assert REF.lr_at(step, max_lr, warmup, total, min_lr) == pytest.approx(opt.param_groups[0]["lr"], rel=1e-9,
                                                                               abs=1e-12 * max_lr)
        opt.step()
        sched.step()


def test_worked_example_from_the_prompt():
    got = [REF.lr_at(s, 1.0, 2, 6, 0.1) for s in range(8)]
    assert [round(x, 4) for x in got] == [0.0, 0.5, 1.0, 0.8682, 0.55, 0.2318, 0.1, 0.1]
    assert got[2] == 1.0 and got[6] == pytest.approx(0.1, rel=1e-15)


def test_no_warmup_starts_at_the_peak_and_returns_floats():
    assert REF.lr_at(0, 3e-4, 0, 10) == 3e-4
    assert all(type(REF.lr_at(s, 1.0, 3, 9)) is float for s in range(12))
