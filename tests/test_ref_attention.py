"""The attention reference agrees with torch's F.scaled_dot_product_attention (math backend).

SDPA takes the same boolean mask convention (True = may attend). Rows whose mask allows no
key are the drill's own contract (zeros), checked separately; SDPA is compared on the others.
"""
import importlib.util
import math
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

from grader.compare import assert_close

_path = Path(__file__).resolve().parent.parent / "solutions" / "attention.py"
_spec = importlib.util.spec_from_file_location("ref_attention_under_test", _path)
ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref)


def sdpa(q, k, v, mask):
    with sdpa_kernel(SDPBackend.MATH):
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)


def inputs(lead, lq, lk, d, dv, dtype, seed, mask_shape=None, p=0.7):
    g = torch.Generator().manual_seed(seed)
    q, k = (torch.randn(lead + (n, d), generator=g, dtype=torch.float64).to(dtype) for n in (lq, lk))
    v = torch.randn(lead + (lk, dv), generator=g, dtype=torch.float64).to(dtype)
    mask = None if mask_shape is None else torch.rand(mask_shape, generator=g) < p
    return q, k, v, mask


CASES = [  # leading dims, Lq, Lk, D, Dv, mask shape (None: no mask)
    ((), 3, 5, 4, 6, None),
    ((2,), 7, 3, 5, 2, (2, 7, 3)),
    ((2, 3), 4, 6, 8, 5, (4, 6)),          # broadcast over both leading dims
    ((2, 3), 5, 5, 16, 16, (2, 1, 5, 5)),  # broadcast over heads
    ((1, 2), 1, 9, 3, 7, (1, 9)),
    ((2, 4), 64, 64, 32, 32, "causal"),
]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}x{c[2]}-{c[5]}")
def test_reference_matches_torch_sdpa(case, dtype):
    lead, lq, lk, d, dv, mshape = case
    causal = mshape == "causal"
    q, k, v, mask = inputs(lead, lq, lk, d, dv, dtype, seed=lq * 31 + lk, mask_shape=None if causal else mshape)
    if causal:
        mask = torch.ones(lq, lk, dtype=torch.bool).tril()
    ours = ref.scaled_dot_product_attention(q, k, v, mask)
    assert ours.shape == lead + (lq, dv) and ours.dtype == dtype
    theirs = sdpa(q, k, v, mask)
    if mask is not None:
        allowed = mask.any(dim=-1, keepdim=True).expand(ours.shape[:-1] + (1,)).expand(ours.shape)
        ours, theirs = ours[allowed], theirs[allowed]
    assert_close(ours, theirs, what=f"reference vs SDPA, {dtype}, {case}")


def test_rows_with_no_allowed_key_are_zero_and_others_unchanged():
    q, k, v, mask = inputs((2,), 4, 5, 3, 6, torch.float32, seed=1, mask_shape=(2, 4, 5))
    mask[0, 2] = False
    mask[1] = True
    out = ref.scaled_dot_product_attention(q, k, v, mask)
    assert torch.equal(out[0, 2], torch.zeros(6))
    assert_close(out[1], sdpa(q[1], k[1], v[1], None))


def test_inputs_are_not_modified_and_gradients_flow_through_a_fully_masked_row():
    q, k, v, mask = inputs((2,), 3, 5, 4, 6, torch.float64, seed=2, mask_shape=(2, 3, 5))
    mask[0, 1] = False
    before = [t.clone() for t in (q, k, v, mask)]
    q.requires_grad_(True)
    out = ref.scaled_dot_product_attention(q, k, v, mask)
    out.sum().backward()  # must not trip over an in-place change to softmax's output
    assert all(torch.equal(a, b) for a, b in zip(before[1:], (k, v, mask)))
    assert torch.equal(q.detach(), before[0])
    assert torch.isfinite(q.grad[1]).all()


def test_half_precision_scores_stay_finite_where_q_dot_k_alone_would_overflow():
    # q.k = 8 * 100 * 100 = 80000 > fp16's 65504, but q.k / sqrt(8) = 28284 fits: the reference
    # scales q before the product (as SDPA does), so no inf - inf = NaN in the softmax
    q = torch.full((1, 2, 8), 100.0, dtype=torch.float16)
    k = torch.full((1, 3, 8), 100.0, dtype=torch.float16)
    v = torch.arange(3 * 4, dtype=torch.float16).reshape(1, 3, 4)
    out = ref.scaled_dot_product_attention(q, k, v)
    assert torch.isfinite(out).all()
    assert_close(out, v.float().mean(dim=1, keepdim=True).expand(1, 2, 4).half())
    assert math.isclose(float(out[0, 0, 0]), 4.0)
