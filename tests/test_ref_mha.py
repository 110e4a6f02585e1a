"""The mha reference checked against torch's own attention and an independent einsum version.

- n_kv_heads == n_heads: equals torch.nn.MultiheadAttention with the same weights (its
  in_proj_weight packs q, k, v row-wise; its bool attn_mask means True = NOT allowed).
- grouped / multi-query: equals a from-scratch einsum implementation that never copies kv
  heads, and torch's SDPA with enable_gqa=True (repeat_interleave semantics).
- the prompt's worked example holds.
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


ref = _load(ROOT / "solutions" / "mha.py", "ref_mha_under_test")

HEADS = [(1, 1), (2, 2), (3, 3), (4, 4), (2, 1), (4, 1), (4, 2), (6, 2), (6, 3), (8, 2), (8, 4)]


@st.composite
def configs(draw, heads=HEADS):
    H, G = draw(st.sampled_from(heads))
    return dict(B=draw(st.integers(1, 3)), Lq=draw(st.integers(1, 6)), Lk=draw(st.integers(1, 6)),
                H=H, G=G, hd=draw(st.integers(1, 4)), bias=draw(st.booleans()),
                causal=draw(st.booleans()), masked=draw(st.booleans()), seed=draw(st.integers(0, 2**16)))


def make(c, cross=True, dtype=torch.float64):
    """Module with random weights, x, kv (x itself when not cross) and a (B, H, Lq, Lk) mask or None."""
    c.update(Lk=c["Lk"] if cross else c["Lq"])
    g = torch.Generator().manual_seed(c["seed"])
    m = ref.MultiHeadAttention(c["H"] * c["hd"], c["H"], c["G"], bias=c["bias"]).to(dtype)
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=dtype) * 0.5)
    d = c["H"] * c["hd"]
    x = torch.randn(c["B"], c["Lq"], d, generator=g, dtype=dtype)
    kv = torch.randn(c["B"], c["Lk"], d, generator=g, dtype=dtype) if cross else x
    mask = torch.rand(c["B"], c["H"], c["Lq"], c["Lk"], generator=g) < 0.7 if c["masked"] else None
    return m, x, kv, mask


def allowed_of(c, mask, device="cpu"):
    """The full (B, H, Lq, Lk) boolean: given mask AND the bottom-right-aligned causal mask."""
    allowed = torch.ones(c["B"], c["H"], c["Lq"], c["Lk"], dtype=torch.bool, device=device)
    if mask is not None:
        allowed = allowed & mask
    if c["causal"]:
        allowed = allowed & torch.ones(c["Lq"], c["Lk"], dtype=torch.bool).tril(diagonal=c["Lk"] - c["Lq"])
    return allowed


def einsum_attention(m, x, kv, allowed):
    """Independent GQA: queries grouped as (B, G, r, Lq, hd); kv heads are never copied."""
    H, G = m.n_heads, m.n_kv_heads
    r, hd = H // G, m.head_dim
    B, Lq, _ = x.shape
    Lk = kv.shape[1]
    q = F.linear(x, m.q_proj.weight, m.q_proj.bias).reshape(B, Lq, G, r, hd)
    k = F.linear(kv, m.k_proj.weight, m.k_proj.bias).reshape(B, Lk, G, hd)
    v = F.linear(kv, m.v_proj.weight, m.v_proj.bias).reshape(B, Lk, G, hd)
    s = torch.einsum("bqgrd,bkgd->bgrqk", q, k) / math.sqrt(hd)
    a = allowed.reshape(B, G, r, Lq, Lk)
    e = torch.exp(s - s.amax(-1, keepdim=True)) * a
    w = e / e.sum(-1, keepdim=True).clamp_min(1e-300)          # rows with no allowed key: 0
    y = torch.einsum("bgrqk,bkgd->bqgrd", w, v).reshape(B, Lq, H * hd)
    return F.linear(y, m.o_proj.weight, m.o_proj.bias)


@settings(max_examples=20)
@given(configs(heads=[(1, 1), (2, 2), (3, 3), (4, 4)]), st.booleans())
def test_equals_torch_multihead_attention(c, cross):
    m, x, kv, mask = make(c, cross)
    d, H = c["H"] * c["hd"], c["H"]
    torch_mha = torch.nn.MultiheadAttention(d, H, bias=c["bias"], batch_first=True, dtype=torch.float64).eval()
    with torch.no_grad():
        torch_mha.in_proj_weight.copy_(torch.cat([m.q_proj.weight, m.k_proj.weight, m.v_proj.weight]))
        torch_mha.out_proj.weight.copy_(m.o_proj.weight)
        if c["bias"]:
            torch_mha.in_proj_bias.copy_(torch.cat([m.q_proj.bias, m.k_proj.bias, m.v_proj.bias]))
            torch_mha.out_proj.bias.copy_(m.o_proj.bias)
    allowed = allowed_of(c, mask)
    # torch's bool attn_mask: True = NOT allowed; 3-D masks are (B * H, Lq, Lk), batch-major
    attn_mask = ~allowed.reshape(c["B"] * H, c["Lq"], c["Lk"])
    with torch.no_grad():
        want, _ = torch_mha(x, kv, kv, attn_mask=attn_mask, need_weights=False)
        got = m(x, kv=None if not cross else kv, mask=mask, causal=c["causal"])
    # torch gives NaN for a query with no allowed key in every head; the contract says o_proj(0)
    empty = ~allowed.any(-1).any(1)                              # (B, Lq)
    torch.testing.assert_close(got[~empty], want[~empty])
    bias = m.o_proj.bias if c["bias"] else torch.zeros(d, dtype=got.dtype)
    torch.testing.assert_close(got[empty], bias.expand(int(empty.sum()), d))


@settings(max_examples=20)
@given(configs(), st.booleans())
def test_equals_independent_einsum_gqa(c, cross):
    m, x, kv, mask = make(c, cross)
    with torch.no_grad():
        got = m(x, kv=kv if cross else None, mask=mask, causal=c["causal"])
        want = einsum_attention(m, x, kv, allowed_of(c, mask))
    torch.testing.assert_close(got, want)


@settings(max_examples=20)
@given(configs())
def test_equals_torch_sdpa_with_enable_gqa(c):
    m, x, kv, mask = make(c)
    allowed = allowed_of(c, mask)
    B, Lq, Lk, H, G, hd = c["B"], c["Lq"], c["Lk"], c["H"], c["G"], c["hd"]
    with torch.no_grad():
        got = m(x, kv=kv, mask=mask, causal=c["causal"])
        q = m.q_proj(x).view(B, Lq, H, hd).transpose(1, 2)
        k = m.k_proj(kv).view(B, Lk, G, hd).transpose(1, 2)
        v = m.v_proj(kv).view(B, Lk, G, hd).transpose(1, 2)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed, enable_gqa=True)  # True = take part
        y = torch.where(allowed.any(-1, keepdim=True), y, torch.zeros_like(y))          # NaN/empty rows -> 0
        want = m.o_proj(y.transpose(1, 2).reshape(B, Lq, H * hd))
    torch.testing.assert_close(got, want)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_returns_the_input_dtype_and_is_close_to_float64(dtype):
    c = dict(B=2, Lq=5, Lk=3, H=4, G=2, hd=3, bias=True, causal=True, masked=True, seed=7)
    m, x, kv, mask = make(c)
    with torch.no_grad():
        want = m(x, kv=kv, mask=mask, causal=True)
        got = m.to(dtype)(x.to(dtype), kv=kv.to(dtype), mask=mask, causal=True)
    assert got.dtype == dtype
    assert not torch.isnan(got).any()
    torch.testing.assert_close(got.double(), want, rtol=5e-2, atol=5e-2)


def test_prompt_example():
    m = ref.MultiHeadAttention(4, 2)
    with torch.no_grad():
        for lin in (m.q_proj, m.k_proj, m.v_proj, m.o_proj):
            lin.weight.copy_(torch.eye(4))
        out = m(torch.tensor([[[1.0, 0.0, 0.0, 1.0], [0.0, 1.0, 1.0, 0.0]]]), causal=True)
    want = torch.tensor([[[1.0, 0.0, 0.0, 1.0], [0.3302, 0.6698, 0.6698, 0.3302]]])
    torch.testing.assert_close(out, want, rtol=0, atol=1e-4)


def test_parameter_shapes():
    m = ref.MultiHeadAttention(12, 6, 2, bias=True)
    shapes = {n: tuple(p.shape) for n, p in m.named_parameters()}
    assert shapes == {"q_proj.weight": (12, 12), "q_proj.bias": (12,), "k_proj.weight": (4, 12),
                      "k_proj.bias": (4,), "v_proj.weight": (4, 12), "v_proj.bias": (4,),
                      "o_proj.weight": (12, 12), "o_proj.bias": (12,)}
    assert {n for n, _ in ref.MultiHeadAttention(12, 6).named_parameters()} == {
        "q_proj.weight", "k_proj.weight", "v_proj.weight", "o_proj.weight"}
