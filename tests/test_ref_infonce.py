"""The InfoNCE / CLIP reference against an independent formulation (cosines written out,
an einsum, log-softmax by hand, positives picked with a one-hot mask), the prompt's
worked example, and the claims the spec relies on."""
import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.catalog import load_catalog
from grader.runner import load_module

REF = load_module(load_catalog().get("infonce").solution_path, "test_ref_infonce_solution")


def by_hand(q, k, tau):
    """mean_i [ logsumexp_j(cos_ij / τ) - cos_ii / τ ], nothing shared with the reference."""
    cos = torch.einsum("id,jd->ij", q, k) / torch.outer(q.norm(dim=1), k.norm(dim=1))
    logits = cos / tau
    m = logits.max(dim=1, keepdim=True).values
    log_z = (logits - m).exp().sum(dim=1).log() + m.squeeze(1)
    positive = (logits * torch.eye(len(q), dtype=q.dtype)).sum(dim=1)
    return (log_z - positive).mean()


@settings(max_examples=40, deadline=None, derandomize=True)
@given(n=st.integers(1, 9), d=st.integers(1, 9), tau=st.floats(0.02, 5.0), seed=st.integers(0, 2**16))
def test_info_nce_equals_the_formula_by_hand(n, d, tau, seed):
    g = torch.Generator().manual_seed(seed)
    q, k = torch.randn(2, n, d, generator=g, dtype=torch.float64).unbind(0)
    got = REF.info_nce(q, k, tau)
    assert got.shape == () and got.dtype == torch.float64
    torch.testing.assert_close(got, by_hand(q, k, tau), rtol=1e-10, atol=1e-10)
    # and CLIP is the mean of both directions, the second being the transposed logits
    torch.testing.assert_close(REF.clip_loss(q, k, tau), (by_hand(q, k, tau) + by_hand(k, q, tau)) / 2,
                               rtol=1e-10, atol=1e-10)


def test_equals_cross_entropy_with_arange_targets():
    g = torch.Generator().manual_seed(1)
    q, k = torch.randn(2, 6, 4, generator=g).unbind(0)
    logits = F.normalize(q, dim=1) @ F.normalize(k, dim=1).T / 0.07
    targets = torch.arange(6)
    torch.testing.assert_close(REF.info_nce(q, k), F.cross_entropy(logits, targets))
    torch.testing.assert_close(REF.clip_loss(q, k),
                               (F.cross_entropy(logits, targets) + F.cross_entropy(logits.T, targets)) / 2)


def test_worked_example_from_the_prompt():
    q = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    k = torch.tensor([[3.0, 0.0], [1.0, 1.0]])
    s = math.sqrt(0.5)
    row0 = math.log(math.e + math.exp(s)) - 1
    row1 = math.log(1 + math.exp(s)) - s
    assert REF.info_nce(q, k, 1.0).item() == pytest.approx((row0 + row1) / 2, abs=1e-6)
    assert REF.info_nce(q, k, 1.0).item() == pytest.approx(0.4791, abs=1e-4)
    assert REF.info_nce(k, q, 1.0).item() == pytest.approx(0.5032, abs=1e-4)
    assert REF.clip_loss(q, k, 1.0).item() == pytest.approx(0.4912, abs=1e-4)


@pytest.mark.parametrize("n", [2, 3, 7])
def test_identical_embeddings_give_log_n_at_any_temperature(n):
    v, w = torch.randn(2, 5, generator=torch.Generator().manual_seed(n)).unbind(0)
    for tau in (0.03, 0.07, 1.0, 4.0):
        loss = REF.info_nce(v.expand(n, 5), w.expand(n, 5), tau)
        assert loss.item() == pytest.approx(math.log(n), abs=1e-5)


def test_n_equal_one_gives_zero_and_dtype_is_kept():
    x = torch.randn(1, 4, dtype=torch.float64)
    assert REF.info_nce(x, x * 2).item() == 0.0
    assert REF.clip_loss(x.float(), x.float()).dtype == torch.float32


def test_perfectly_aligned_pairs_approach_zero_as_the_temperature_drops():
    e = torch.eye(4)  # orthogonal pairs: cos = 1 on the diagonal, 0 elsewhere
    losses = [REF.info_nce(e, e, tau).item() for tau in (1.0, 0.1, 0.01)]
    assert losses[0] > losses[1] > losses[2] and losses[2] < 1e-6
