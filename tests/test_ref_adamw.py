"""The AdamW reference against torch.optim.AdamW / Adam (single-tensor and foreach
implementations) over many steps, and the prompt's worked example."""
import math

import pytest
import torch

from grader.catalog import load_catalog
from grader.compare import assert_close
from grader.runner import load_module

REF = load_module(load_catalog().get("adamw").solution_path, "test_ref_adamw_solution")
SHAPES = [(3, 4), (5,), (), (2, 1, 3)]


def _run(optimizer, dtype, steps, hp, seed):
    g = torch.Generator().manual_seed(seed)
    params = [torch.randn(s, generator=g, dtype=dtype) for s in SHAPES]
    theirs = [p.clone().requires_grad_(True) for p in params]
    opt = optimizer(theirs)
    m = [torch.zeros_like(p) for p in params]
    v = [torch.zeros_like(p) for p in params]
    for step in range(1, steps + 1):
        grads = [torch.randn(s, generator=g, dtype=dtype) * hp["scale"] for s in SHAPES]
        params, m, v = REF.adamw_step(params, grads, m, v, step, lr=hp["lr"], betas=hp["betas"], eps=hp["eps"],
                                      weight_decay=hp["weight_decay"])
        for p, gr in zip(theirs, grads):
            p.grad = gr
        opt.step()
        for i, p in enumerate(theirs):
            assert_close(params[i], p.detach(), what=f"param {i} at step {step}")
            assert_close(m[i], opt.state[p]["exp_avg"], what=f"exp_avg {i} at step {step}")
            assert_close(v[i], opt.state[p]["exp_avg_sq"], what=f"exp_avg_sq {i} at step {step}")


HPARAMS = [
    {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.01, "scale": 1.0},
    {"lr": 0.1, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.5, "scale": 1e-4},
    {"lr": 3e-2, "betas": (0.5, 0.9), "eps": 1e-8, "weight_decay": 0.1, "scale": 1e-2},
]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("hp", HPARAMS)
def test_many_steps_equal_torch_adamw(dtype, foreach, hp):
    make = lambda ps: torch.optim.AdamW(ps, lr=hp["lr"], betas=hp["betas"], eps=hp["eps"],
                                        weight_decay=hp["weight_decay"], foreach=foreach)
    _run(make, dtype, 25, hp, seed=int(hp["lr"] * 1000) + foreach)


@pytest.mark.parametrize("hp", HPARAMS)
def test_no_decay_equals_torch_adam(hp):
    hp = dict(hp, weight_decay=0.0)
    make = lambda ps: torch.optim.Adam(ps, lr=hp["lr"], betas=hp["betas"], eps=hp["eps"])
    _run(make, torch.float64, 25, hp, seed=7)


def test_inputs_are_not_modified():
    p, g, m, v = (torch.randn(4, dtype=torch.float64) for _ in range(4))
    v = v.abs()
    copies = [x.clone() for x in (p, g, m, v)]
    REF.adamw_step([p], [g], [m], [v], 3, lr=0.1, weight_decay=0.1)
    assert all(torch.equal(a, b) for a, b in zip((p, g, m, v), copies))


def test_worked_example_from_the_prompt():
    p, m, v = REF.adamw_step([torch.tensor([1.0])], [torch.tensor([0.5])], [torch.zeros(1)], [torch.zeros(1)], 1,
                             lr=0.1, weight_decay=0.1)
    assert math.isclose(p[0].item(), 0.99 - 0.1 * 0.5 / (0.5 + 1e-8), rel_tol=1e-6)
    assert round(p[0].item(), 4) == 0.89
    assert math.isclose(m[0].item(), 0.05, rel_tol=1e-6) and math.isclose(v[0].item(), 0.00025, rel_tol=1e-5)
