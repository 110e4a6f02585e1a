"""The flash_attention reference against torch's own attention and a plain formulation.

- any block sizes, causal or not: equals torch.nn.functional.scaled_dot_product_attention
  with an explicit bottom-right-aligned causal mask (rows with no allowed key -> zeros);
- equals plain softmax attention written out in float64;
- half precision stays close to float64 and returns the input dtype;
- the prompt's worked example has the numbers it states;
- only (block_q, block_k) tiles of scores are ever formed (every matmul is checked).
"""
import importlib.util
import math
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent


def _load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


flash_attention = _load(ROOT / "solutions" / "flash_attention.py", "ref_flash_attention_under_test").flash_attention


def allowed(Lq, Lk, causal):
    a = torch.ones(Lq, Lk, dtype=torch.bool)
    return a.tril(diagonal=Lk - Lq) if causal else a


def plain(q, k, v, causal):
    """softmax(q kᵀ/√D) v in float64, masked rows -> 0."""
    s = q.double() @ k.double().transpose(-2, -1) / math.sqrt(q.shape[-1])
    ok = allowed(q.shape[-2], k.shape[-2], causal)
    s = s.masked_fill(~ok, float("-inf"))
    w = torch.softmax(s, dim=-1).masked_fill(~ok.any(-1, keepdim=True), 0.0)
    return w @ v.double()


@st.composite
def cases(draw):
    lead = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    Lq, Lk = draw(st.integers(1, 12)), draw(st.integers(1, 12))
    D, Dv = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    g = torch.Generator().manual_seed(draw(st.integers(0, 2**16)))
    scale = draw(st.sampled_from([0.5, 1.0, 3.0]))
    q = torch.randn(lead + (Lq, D), generator=g, dtype=torch.float64) * scale
    k = torch.randn(lead + (Lk, D), generator=g, dtype=torch.float64) * scale
    v = torch.randn(lead + (Lk, Dv), generator=g, dtype=torch.float64)
    return q, k, v, draw(st.integers(1, 14)), draw(st.integers(1, 14)), draw(st.booleans())


@settings(max_examples=80, deadline=None)
@given(cases())
def test_equals_torch_sdpa_with_a_bottom_right_causal_mask(case):
    q, k, v, bq, bk, causal = case
    ok = allowed(q.shape[-2], k.shape[-2], causal)
    want = F.scaled_dot_product_attention(q, k, v, attn_mask=ok)   # bool: True = take part
    want = torch.where(ok.any(-1, keepdim=True), want, torch.zeros_like(want))  # NaN rows -> 0
    torch.testing.assert_close(flash_attention(q, k, v, bq, bk, causal), want)


@settings(max_examples=80, deadline=None)
@given(cases())
def test_equals_plain_attention(case):
    q, k, v, bq, bk, causal = case
    torch.testing.assert_close(flash_attention(q, k, v, block_q=bq, block_k=bk, causal=causal),
                               plain(q, k, v, causal))


def test_scores_in_the_thousands_do_not_overflow():
    g = torch.Generator().manual_seed(3)
    q, k, v = (torch.randn(2, 7, 4, generator=g, dtype=torch.float64) for _ in range(3))
    w = torch.tensor([3000.0, -2000.0, 1000.0, 500.0], dtype=torch.float64)
    got = flash_attention(q, k + w, v, block_q=3, block_k=2)
    assert torch.isfinite(got).all()
    torch.testing.assert_close(got, plain(q, k, v, False))


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("causal", [False, True])
def test_half_precision_is_close_to_float64(dtype, causal):
    g = torch.Generator().manual_seed(5)
    q = torch.randn(2, 3, 9, 8, generator=g)
    k = torch.randn(2, 3, 6, 8, generator=g)
    v = torch.randn(2, 3, 6, 5, generator=g)
    got = flash_attention(q.to(dtype), k.to(dtype), v.to(dtype), block_q=4, block_k=4, causal=causal)
    assert got.dtype == dtype
    assert not torch.isnan(got).any()
    torch.testing.assert_close(got.double(), plain(q, k, v, causal), rtol=3e-2, atol=3e-2)


def test_prompt_example():
    q = torch.tensor([[1.0, 0.0]])
    k = torch.tensor([[1.0, 0.0], [0.0, 1.0], [2.0, 0.0]])
    v = torch.tensor([[1.0], [2.0], [3.0]])
    torch.testing.assert_close(flash_attention(q, k, v, block_k=2), torch.tensor([[2.2920]]), rtol=0, atol=1e-4)
    a = math.exp(0.7071068 - 1.4142136)
    assert abs(((1 + 2 * a) * a + 3) / ((1 + a) * a + 1) - 2.2920) < 1e-4     # rescaled l
    assert abs(((1 + 2 * a) * a + 3) / ((1 + a) + 1) - 1.5961) < 1e-4         # l not rescaled


def test_only_tiles_of_scores_are_formed(monkeypatch):
    """Every matmul the reference does is at most (block_q, block_k) or (block_q, Dv) wide."""
    shapes = []
    real = torch.Tensor.__matmul__

    def spy(a, b):
        out = real(a, b)
        shapes.append(tuple(out.shape[-2:]))
        return out

    monkeypatch.setattr(torch.Tensor, "__matmul__", spy)
    q, k, v = torch.randn(2, 30, 4), torch.randn(2, 50, 4), torch.randn(2, 50, 3)
    flash_attention(q, k, v, block_q=8, block_k=6, causal=True)
    assert shapes and all(r <= 8 and c <= max(6, 3) for r, c in shapes), sorted(set(shapes))
