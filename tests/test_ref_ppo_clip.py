"""The PPO reference against an independent formulation: the clipped objective's
case analysis written token by token in Python floats, its gradient in closed form, the
prompt's worked example, and the claims the spec relies on."""
import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.catalog import load_catalog
from grader.runner import load_module

REF = load_module(load_catalog().get("ppo_clip").solution_path, "test_ref_ppo_clip_solution")


def by_hand(new, old, adv, eps, mask, kl_coef):
    """(loss, d loss / d new) token by token: the case analysis of min(r A, clip(r) A)."""
    B, T = new.shape
    real = [(b, t) for b in range(B) for t in range(T) if mask is None or bool(mask[b, t])]
    n = len(real)
    total, grad = 0.0, torch.zeros(B, T, dtype=torch.float64)
    for b, t in real:
        d = float(new[b, t]) - float(old[b, t])
        r, a = math.exp(d), float(adv[b, t])
        if (a > 0 and r > 1 + eps) or (a < 0 and r < 1 - eps):
            surrogate, d_surrogate = (1 + eps if a > 0 else 1 - eps) * a, 0.0   # clipped: a constant
        else:
            surrogate, d_surrogate = r * a, r * a                               # d(r a)/d new = r a
        q = math.exp(-d)                                                        # pi_old / pi_new
        total += -surrogate + kl_coef * (q - 1 + d)
        grad[b, t] = (-d_surrogate + kl_coef * (1 - q)) / n
    return total / n, grad


def case(B, T, seed, spread, masked):
    g = torch.Generator().manual_seed(seed)
    old = -torch.randn(B, T, generator=g, dtype=torch.float64).abs() * 2 - 0.05
    new = old + torch.randn(B, T, generator=g, dtype=torch.float64) * spread
    adv = torch.randn(B, T, generator=g, dtype=torch.float64)
    mask = None
    if masked:
        mask = torch.rand(B, T, generator=g) < 0.6
        mask[0, 0] = True
    return new, old, adv, mask


@settings(max_examples=80, deadline=None, derandomize=True)
@given(B=st.integers(1, 6), T=st.integers(1, 7), seed=st.integers(0, 2**16), spread=st.sampled_from([0.1, 0.5, 1.0]),
       masked=st.booleans(), eps=st.sampled_from([0.1, 0.2, 0.3]), kl_coef=st.sampled_from([0.0, 0.05, 1.0]))
def test_equals_the_token_by_token_case_analysis(B, T, seed, spread, masked, eps, kl_coef):
    new, old, adv, mask = case(B, T, seed, spread, masked)
    new.requires_grad_(True)
    loss = REF.ppo_clip_loss(new, old, adv, clip_eps=eps, mask=mask, kl_coef=kl_coef)
    assert loss.shape == () and loss.dtype == torch.float64
    loss.backward()
    want, want_grad = by_hand(new.detach(), old, adv, eps, mask, kl_coef)
    assert loss.item() == pytest.approx(want, rel=1e-10, abs=1e-12)
    torch.testing.assert_close(new.grad, want_grad, rtol=1e-10, atol=1e-12)


def test_float32_matches_float64():
    new, old, adv, mask = case(4, 7, 11, 0.5, True)
    got = REF.ppo_clip_loss(new.float(), old.float(), adv.float(), mask=mask, kl_coef=0.1)
    want = REF.ppo_clip_loss(new, old, adv, mask=mask, kl_coef=0.1)
    assert got.dtype == torch.float32
    assert got.item() == pytest.approx(want.item(), rel=1e-5, abs=1e-6)


def test_worked_example_from_the_prompt():
    old = torch.tensor([[-1.0, -1.0, -2.0]], dtype=torch.float64)
    new = old + torch.tensor([[math.log(1.5), math.log(0.5), 0.0]], dtype=torch.float64)
    assert new[0].tolist() == pytest.approx([-0.5945, -1.6931, -2.0], abs=1e-4)
    adv = torch.tensor([[1.0, 1.0, -2.0]], dtype=torch.float64)
    assert REF.ppo_clip_loss(new, old, adv).item() == pytest.approx(0.1, abs=1e-12)
    mask = torch.tensor([[True, True, False]])
    assert REF.ppo_clip_loss(new, old, adv, mask=mask).item() == pytest.approx(-0.85, abs=1e-12)
    kl = [2 / 3 - 1 - math.log(2 / 3), 2 - 1 - math.log(2), 0.0]
    assert kl[:2] == pytest.approx([0.0721, 0.3069], abs=1e-4)
    with_kl = REF.ppo_clip_loss(new, old, adv, kl_coef=0.1).item()
    assert with_kl == pytest.approx(0.1 + 0.1 * sum(kl) / 3, abs=1e-12)
    assert with_kl == pytest.approx(0.1126, abs=1e-4)
    new.requires_grad_(True)
    REF.ppo_clip_loss(new, old, adv).backward()
    assert new.grad[0, 0].item() == 0.0 and new.grad[0, 1].item() != 0.0


def test_all_padding_row_and_padding_values_do_not_matter():
    new, old, adv, mask = case(3, 5, 5, 0.5, True)
    mask[1] = False
    new2 = torch.where(mask, new, new + 3.0)
    adv2 = torch.where(mask, adv, -adv * 10)
    a = REF.ppo_clip_loss(new, old, adv, mask=mask, kl_coef=0.3)
    b = REF.ppo_clip_loss(new2, old, adv2, mask=mask, kl_coef=0.3)
    assert torch.isfinite(a) and a.item() == pytest.approx(b.item(), rel=1e-12)
