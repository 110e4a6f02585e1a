"""The MLA reference against independent formulations.

- equals ordinary multi-head attention (torch's SDPA, is_causal=True) whose per-head keys are
  [k_up(c_kv)_h, RoPE(k_rope(x))] and values v_up(c_kv)_h, with the rope drill's reference
  apply_rope for the rotary parts;
- equals the absorbed-weights form written with explicit per-head loops in float64;
- half precision stays close to float64; the prompt's example and the cache numbers hold.
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


ref = _load(ROOT / "solutions" / "mla.py", "ref_mla_under_test")
rope = _load(ROOT / "solutions" / "rope.py", "ref_rope_for_mla").apply_rope

configs = st.tuples(st.integers(1, 4), st.sampled_from([2, 4]), st.integers(1, 6), st.integers(1, 5),
                    st.integers(1, 6), st.integers(2, 9), st.integers(1, 3), st.integers(1, 7),
                    st.sampled_from([10000.0, 100.0]), st.integers(0, 2**16))


def make(c, dtype=torch.float64):
    H, dr, dn, dv, dc, D, B, L, theta, seed = c
    g = torch.Generator().manual_seed(seed)
    m = ref.MultiHeadLatentAttention(D, H, dc, dn, dr, dv, theta).to(dtype)
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=dtype) * p.shape[1] ** -0.5)
    return m, torch.randn(B, L, D, generator=g, dtype=dtype)


def as_mha(m, x):
    """MLA as plain MHA with explicit per-head keys [k_nope_h, k_rope] and torch's SDPA."""
    B, L, _ = x.shape
    H, dn, dr, dv = m.n_heads, m.d_nope, m.d_rope, m.d_v
    pos = torch.arange(L)
    q = F.linear(x, m.q_proj.weight).view(B, L, H, dn + dr).transpose(1, 2)
    q = torch.cat((q[..., :dn], rope(q[..., dn:], pos, m.theta)), dim=-1)
    c = F.linear(x, m.kv_down.weight)
    k_nope = F.linear(c, m.k_up.weight).view(B, L, H, dn).transpose(1, 2)
    k_r = rope(F.linear(x, m.k_rope.weight), pos, m.theta)[:, None].expand(B, H, L, dr)
    v = F.linear(c, m.v_up.weight).view(B, L, H, dv).transpose(1, 2)
    y = F.scaled_dot_product_attention(q, torch.cat((k_nope, k_r), -1), v, is_causal=True)
    return F.linear(y.transpose(1, 2).reshape(B, L, H * dv), m.o_proj.weight)


def absorbed_loops(m, x):
    """Per head, per query: scores against the latent with W_uk folded into the query."""
    B, L, _ = x.shape
    H, dn, dr, dv = m.n_heads, m.d_nope, m.d_rope, m.d_v
    pos = torch.arange(L)
    q = F.linear(x, m.q_proj.weight).view(B, L, H, dn + dr)
    c = F.linear(x, m.kv_down.weight)                                   # (B, L, dc)
    k_r = rope(F.linear(x, m.k_rope.weight), pos, m.theta)              # (B, L, dr)
    out = torch.zeros(B, L, H * dv, dtype=x.dtype)
    for h in range(H):
        w_uk = m.k_up.weight[h * dn:(h + 1) * dn]                       # (dn, dc)
        w_uv = m.v_up.weight[h * dv:(h + 1) * dv]                       # (dv, dc)
        q_r = rope(q[:, :, h, dn:], pos, m.theta)                        # (B, L, dr)
        for i in range(L):
            s = (q[:, i, h, :dn] @ w_uk)[:, None, :] @ c[:, : i + 1].transpose(1, 2)   # (B, 1, i+1)
            s = s + q_r[:, i, None, :] @ k_r[:, : i + 1].transpose(1, 2)
            p = torch.softmax(s / math.sqrt(dn + dr), dim=-1)
            out[:, i, h * dv:(h + 1) * dv] = ((p @ c[:, : i + 1]) @ w_uv.T)[:, 0]
    return F.linear(out, m.o_proj.weight)


@settings(max_examples=40, deadline=None)
@given(configs)
def test_equals_mha_over_concatenated_keys_with_torch_sdpa(c):
    m, x = make(c)
    with torch.no_grad():
        torch.testing.assert_close(m(x), as_mha(m, x))


@settings(max_examples=25, deadline=None)
@given(configs)
def test_equals_absorbed_weights_written_per_head(c):
    m, x = make(c)
    with torch.no_grad():
        torch.testing.assert_close(m(x), absorbed_loops(m, x))


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_is_close_to_float64(dtype):
    m, x = make((3, 4, 6, 5, 4, 9, 2, 6, 10000.0, 11))
    with torch.no_grad():
        want = m(x)
        got = m.to(dtype)(x.to(dtype))
    assert got.dtype == dtype and not torch.isnan(got).any()
    torch.testing.assert_close(got.double(), want, rtol=5e-2, atol=5e-2)


def test_prompt_example():
    m = ref.MultiHeadLatentAttention(2, 1, 1, 1, 2, 1)
    with torch.no_grad():
        m.q_proj.weight.copy_(torch.tensor([[0.0, 1.0], [1.0, 0.0], [0.0, 1.0]]))
        m.kv_down.weight.copy_(torch.tensor([[1.0, 0.0]]))
        m.k_up.weight.fill_(1.0)
        m.v_up.weight.fill_(1.0)
        m.k_rope.weight.copy_(torch.eye(2))
        m.o_proj.weight.copy_(torch.tensor([[1.0], [0.0]]))
        out = m(torch.tensor([[[1.0, 0.0], [0.0, 1.0]]]))
    torch.testing.assert_close(out, torch.tensor([[[1.0, 0.0], [0.3809, 0.0]]]), rtol=0, atol=1e-4)
    assert abs(1 / (1 + math.exp(math.sin(1.0))) - 0.3012) < 1e-4       # the √d_nope variant's weight


def test_cache_formulas():
    assert ref.mla_cache_values_per_token(60, 512, 64) == 34560          # DeepSeek-V2
    assert ref.mha_cache_values_per_token(60, 128, 128) == 1966080
    assert ref.gqa_cache_values_per_token(80, 8, 128) == 163840           # LLaMA-2-70B: 320 KiB/token in fp16
    assert ref.gqa_cache_values_per_token(80, 8, 128) * 2 == 320 * 1024
    assert ref.mha_cache_values_per_token(7, 5, 3) == ref.gqa_cache_values_per_token(7, 5, 3)


def test_parameter_names_and_shapes():
    shapes = {n: tuple(p.shape) for n, p in ref.MultiHeadLatentAttention(10, 3, 4, 6, 2, 5).named_parameters()}
    assert shapes == {"q_proj.weight": (24, 10), "kv_down.weight": (4, 10), "k_up.weight": (18, 4),
                      "v_up.weight": (15, 4), "k_rope.weight": (2, 10), "o_proj.weight": (10, 15)}
