"""The DPO reference against an independent formulation (softplus of the negated margin,
computed in float64 with the log-ratios ordered as in the DPO paper's code), its gradient
in closed form, the prompt's worked example, and the claims the spec relies on."""
import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.catalog import load_catalog
from grader.runner import load_module

REF = load_module(load_catalog().get("dpo_loss").solution_path, "test_ref_dpo_loss_solution")


def by_hand(pc, pr, rc, rr, beta):
    """mean_b softplus(-beta * ((pc - pr) - (rc - rr))) in float64, nothing shared with the reference."""
    z = beta * ((pc.double() - pr.double()) - (rc.double() - rr.double()))
    return F.softplus(-z).mean()


def inputs(B, seed, dtype=torch.float64, deviation=3.0):
    g = torch.Generator().manual_seed(seed)
    rc, rr = (-(torch.randn(B, generator=g, dtype=dtype) * 20).abs() - 1 for _ in range(2))
    pc = rc + torch.randn(B, generator=g, dtype=dtype) * deviation
    pr = rr + torch.randn(B, generator=g, dtype=dtype) * deviation
    return pc, pr, rc, rr


@settings(max_examples=60, deadline=None, derandomize=True)
@given(B=st.integers(1, 9), beta=st.sampled_from([0.01, 0.1, 0.5, 1.0, 5.0]), seed=st.integers(0, 2**16),
       dtype=st.sampled_from([torch.float32, torch.float64]))
def test_equals_softplus_formulation(B, beta, seed, dtype):
    pc, pr, rc, rr = inputs(B, seed, dtype)
    loss, cr, rj = REF.dpo_loss(pc, pr, rc, rr, beta)
    assert loss.shape == () and loss.dtype == dtype and cr.shape == (B,) and cr.dtype == dtype
    # float64 within 1e-10, not exact: the two orders of subtraction round differently
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == torch.float32 else dict(rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(loss.double(), by_hand(pc, pr, rc, rr, beta), **tol)
    torch.testing.assert_close(cr.double(), beta * (pc.double() - rc.double()), **tol)
    torch.testing.assert_close(rj.double(), beta * (pr.double() - rr.double()), **tol)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(B=st.integers(1, 9), beta=st.sampled_from([0.05, 0.1, 2.0]), seed=st.integers(0, 2**16))
def test_gradient_is_minus_beta_sigmoid_of_minus_margin_over_b(B, beta, seed):
    pc, pr, rc, rr = inputs(B, seed)
    pc.requires_grad_(True)
    pr.requires_grad_(True)
    REF.dpo_loss(pc, pr, rc, rr, beta)[0].backward()
    z = beta * ((pc - rc) - (pr - rr)).detach()
    torch.testing.assert_close(pc.grad, -beta * torch.sigmoid(-z) / B)
    torch.testing.assert_close(pr.grad, beta * torch.sigmoid(-z) / B)


def test_worked_example_from_the_prompt():
    pc, pr = torch.tensor([-1.0, -4.0]), torch.tensor([-3.0, -2.0])
    rc, rr = torch.tensor([-2.0, -3.0]), torch.tensor([-2.0, -3.0])
    loss, cr, rj = REF.dpo_loss(pc, pr, rc, rr, beta=0.5)
    assert cr.tolist() == [0.5, -0.5] and rj.tolist() == [-0.5, 0.5]
    per_pair = [math.log1p(math.exp(-1.0)), math.log1p(math.exp(1.0))]
    assert per_pair == pytest.approx([0.3133, 1.3133], abs=1e-4)
    assert loss.item() == pytest.approx(sum(per_pair) / 2, rel=1e-6)
    assert loss.item() == pytest.approx(0.8133, abs=1e-4)
    same = REF.dpo_loss(rc, rr, rc, rr)
    assert same[0].item() == pytest.approx(math.log(2), rel=1e-6)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_finite_at_margins_of_1e4_where_log_of_sigmoid_is_not(dtype):
    rc = rr = pr = torch.full((4,), -10.0, dtype=dtype)
    pc = rc + torch.tensor([-2e4, 2e4, -1e5, 3e4], dtype=dtype)
    loss = REF.dpo_loss(pc, pr, rc, rr, beta=1.0)[0]
    assert torch.isfinite(loss)
    torch.testing.assert_close(loss.double(), by_hand(pc, pr, rc, rr, 1.0), rtol=1e-6, atol=0)
    assert loss.item() == pytest.approx((2e4 + 1e5) / 4, rel=1e-6)
    naive = -torch.log(torch.sigmoid(pc - rc - pr + rr)).mean()
    assert not torch.isfinite(naive)   # what the spec's large-margin property relies on
