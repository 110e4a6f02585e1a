"""The KL reference against torch's own implementations (torch.distributions' Categorical
KL and F.kl_div), a float64 formula over the finite outcomes for -inf logits, the
large-logit regime, and the prompt's worked example."""
import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.distributions import Categorical, kl_divergence

from grader.catalog import load_catalog
from grader.runner import load_module

REF = load_module(load_catalog().get("kl").solution_path, "test_ref_kl_solution")


@settings(max_examples=60, deadline=None, derandomize=True)
@given(shape=st.lists(st.integers(1, 6), min_size=1, max_size=3), data=st.data(), seed=st.integers(0, 2**16))
def test_equals_torch_distributions_categorical_kl(shape, data, seed):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    g = torch.Generator().manual_seed(seed)
    p, q = (torch.randn(shape, generator=g, dtype=torch.float64) * 2 for _ in range(2))
    got = REF.kl_divergence(p, q, dim)
    # Categorical wants the outcomes last
    want = kl_divergence(Categorical(logits=p.movedim(dim, -1)), Categorical(logits=q.movedim(dim, -1)))
    assert got.shape == want.shape and got.dtype == torch.float64
    torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-12)
    kl_div = F.kl_div(F.log_softmax(q, dim), F.log_softmax(p, dim), log_target=True, reduction="none").sum(dim)
    torch.testing.assert_close(got, kl_div, rtol=1e-10, atol=1e-12)


def test_worked_example_from_the_prompt():
    got = REF.kl_divergence(torch.tensor([0.0, 0.0]), torch.tensor([0.0, math.log(3)]))
    assert got.shape == ()
    assert got.item() == pytest.approx(0.5 * math.log(4 / 3), rel=1e-6)
    assert got.item() == pytest.approx(0.1438, abs=1e-4)


def test_minus_inf_logits_in_p_contribute_nothing():
    p = torch.tensor([[0.5, float("-inf"), -1.0, float("-inf")], [float("-inf"), 2.0, 0.0, 1.0]])
    q = torch.randn(2, 4, generator=torch.Generator().manual_seed(0))
    got = REF.kl_divergence(p, q)
    for row in range(2):
        keep = torch.isfinite(p[row])
        pp = torch.softmax(p[row][keep].double(), 0)
        log_q = torch.log_softmax(q[row].double(), 0)[keep]
        want = (pp * (pp.log() - log_q)).sum()
        assert got[row].item() == pytest.approx(want.item(), rel=1e-5)


def test_finite_and_exact_for_logits_of_magnitude_1e4():
    g = torch.Generator().manual_seed(3)
    p, q = (torch.randn(5, 7, generator=g) * 1e4 for _ in range(2))
    got = REF.kl_divergence(p, q, 0)
    assert torch.isfinite(got).all()
    # (Categorical's KL is not stable here itself: it gives inf; F.kl_div on float64 log-probs is)
    lp, lq = F.log_softmax(p.double(), 0), F.log_softmax(q.double(), 0)
    want = F.kl_div(lq, lp, log_target=True, reduction="none").sum(0)
    torch.testing.assert_close(got.double(), want, rtol=1e-4, atol=1e-2)
    # the naive formula really does break there (what the spec's large-logit property relies on)
    naive = (p.softmax(0) * (p.softmax(0).log() - q.softmax(0).log())).sum(0)
    assert not torch.isfinite(naive).all()


def test_zero_for_the_same_distribution_and_asymmetric_otherwise():
    g = torch.Generator().manual_seed(4)
    p, q = torch.randn(2, 3, 5, generator=g, dtype=torch.float64).unbind(0)
    torch.testing.assert_close(REF.kl_divergence(p, p + 7.0), torch.zeros(3, dtype=torch.float64), atol=1e-12, rtol=0)
    assert (REF.kl_divergence(p, q) > 0).all()
    assert not torch.allclose(REF.kl_divergence(p, q), REF.kl_divergence(q, p))
