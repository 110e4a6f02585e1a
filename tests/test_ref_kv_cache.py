"""The KV-cache reference against an independent full-sequence formulation.

The independent side is written from scratch here: RoPE as complex multiplication of the
pairs (x[i], x[i + hd/2]), and one causal pass through torch's SDPA with enable_gqa (which
shares kv heads between adjacent query heads, as the prompt asks). Decoding with the cache,
token by token or in chunks, must equal it; the buffers must never be reallocated.
"""
import importlib.util
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parent.parent


def _load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ref = _load(ROOT / "solutions" / "kv_cache.py", "ref_kv_cache_under_test")
stub = _load(ROOT / "drills" / "kv_cache" / "kv_cache.py", "stub_kv_cache_under_test")


def rope_complex(x, theta):
    """Rotate-half RoPE at positions 0..T-1: pair i is the complex number x[i] + i·x[i + hd/2]."""
    T, hd = x.shape[-2], x.shape[-1]
    freqs = theta ** (-torch.arange(0, hd, 2, dtype=torch.float64) / hd)
    angles = torch.arange(T, dtype=torch.float64)[:, None] * freqs
    z = torch.complex(x[..., : hd // 2], x[..., hd // 2:]) * torch.polar(torch.ones_like(angles), angles)
    return torch.cat((z.real, z.imag), dim=-1)


def full_causal_forward(x, wq, wk, wv, wo, n_heads, theta):
    B, L, _ = x.shape
    hd = wq.shape[0] // n_heads
    n_kv = wk.shape[0] // hd
    q = rope_complex(F.linear(x, wq).reshape(B, L, n_heads, hd).permute(0, 2, 1, 3), theta)
    k = rope_complex(F.linear(x, wk).reshape(B, L, n_kv, hd).permute(0, 2, 1, 3), theta)
    v = F.linear(x, wv).reshape(B, L, n_kv, hd).permute(0, 2, 1, 3)
    out = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)  # Lq == Lk: top-left is right
    return F.linear(out.permute(0, 2, 1, 3).reshape(B, L, n_heads * hd), wo)


CONFIGS = [  # B, L, d_model, hd, n_kv_heads, group, theta
    (2, 7, 5, 4, 1, 1, 10000.0),
    (1, 6, 8, 6, 2, 3, 10.0),
    (3, 5, 7, 2, 3, 2, 500000.0),
    (2, 8, 6, 4, 1, 4, 100.0),
]


def make(B, L, D, hd, n_kv, group, seed=0):
    g = torch.Generator().manual_seed(seed)
    H = n_kv * group
    r = lambda *s: torch.randn(*s, generator=g, dtype=torch.float64)  # noqa: E731
    return r(B, L, D), (r(H * hd, D) / D ** 0.5, r(n_kv * hd, D) / D ** 0.5, r(n_kv * hd, D) / D ** 0.5,
                        r(D, H * hd) / (H * hd) ** 0.5), H


@pytest.mark.parametrize("B,L,D,hd,n_kv,group,theta", CONFIGS)
def test_token_by_token_equals_independent_full_forward(B, L, D, hd, n_kv, group, theta):
    x, w, H = make(B, L, D, hd, n_kv, group)
    want = full_causal_forward(x, *w, H, theta)
    cache = ref.KVCache(B, n_kv, L + 2, hd, dtype=torch.float64)
    got = torch.cat([ref.decode_step(x[:, i:i + 1], cache, *w, H, theta) for i in range(L)], dim=1)
    torch.testing.assert_close(got, want)
    assert cache.length == L


@pytest.mark.parametrize("B,L,D,hd,n_kv,group,theta", CONFIGS)
@pytest.mark.parametrize("seed", [1, 2])
def test_chunked_equals_independent_full_forward(B, L, D, hd, n_kv, group, theta, seed):
    x, w, H = make(B, L, D, hd, n_kv, group, seed)
    g = torch.Generator().manual_seed(seed)
    cuts = sorted(set(torch.randint(1, L, (3,), generator=g).tolist()))
    bounds = [0] + cuts + [L]
    cache = ref.KVCache(B, n_kv, L, hd, dtype=torch.float64)
    got = torch.cat([ref.decode_step(x[:, a:b], cache, *w, H, theta) for a, b in zip(bounds, bounds[1:])], dim=1)
    torch.testing.assert_close(got, full_causal_forward(x, *w, H, theta))
    # the cached keys are the rotated ones, the values the plain projections
    want_k = rope_complex(F.linear(x, w[1]).reshape(B, L, n_kv, hd).permute(0, 2, 1, 3), theta)
    torch.testing.assert_close(cache.k, want_k)


def test_buffers_are_allocated_once_and_update_returns_views():
    cache = ref.KVCache(2, 3, 6, 4, dtype=torch.float16)
    k_ptr, v_ptr = cache.k.data_ptr(), cache.v.data_ptr()
    assert cache.k.shape == (2, 3, 6, 4) and cache.k.dtype == torch.float16 and cache.length == 0
    for T in (2, 1, 3):
        k_all, v_all = cache.update(torch.randn(2, 3, T, 4), torch.randn(2, 3, T, 4))
        assert k_all.data_ptr() == k_ptr and v_all.data_ptr() == v_ptr  # views, no copy
    assert cache.k.data_ptr() == k_ptr and cache.k.shape == (2, 3, 6, 4) and cache.length == 6


@pytest.mark.parametrize("filled,T", [(6, 1), (5, 2), (0, 7), (4, 3)])
def test_overflow_raises_before_writing(filled, T):
    cache = ref.KVCache(1, 2, 6, 3)
    if filled:
        cache.update(torch.ones(1, 2, filled, 3), torch.ones(1, 2, filled, 3))
    before = cache.k.clone()
    with pytest.raises(ValueError, match="max_len"):
        cache.update(torch.full((1, 2, T, 3), 7.0), torch.full((1, 2, T, 3), 7.0))
    assert cache.length == filled
    assert torch.equal(cache.k, before)


def test_stub_helper_is_the_reference_rope_and_the_rope_drill_convention():
    rope_drill = _load(ROOT / "solutions" / "rope.py", "ref_rope_for_kv_cache_test")
    x = torch.randn(2, 3, 5, 6)
    pos = torch.arange(7, 12)
    for theta in (10000.0, 10.0):
        torch.testing.assert_close(stub.apply_rope(x, pos, theta), ref.apply_rope(x, pos, theta))
        torch.testing.assert_close(stub.apply_rope(x, pos, theta), rope_drill.apply_rope(x, pos, theta))


def test_prompt_example():
    eye, x = torch.eye(2), torch.tensor([[[1.0, 0.0], [0.0, 1.0]]])
    want = torch.tensor([[[1.0, 0.0], [0.2138, 0.7862]]])
    cache = ref.KVCache(1, 1, 4, 2)
    torch.testing.assert_close(ref.decode_step(x, cache, eye, eye, eye, eye, 1), want, atol=1e-4, rtol=0)
    assert cache.length == 2
    cache = ref.KVCache(1, 1, 4, 2)
    rows = [ref.decode_step(x[:, i:i + 1], cache, eye, eye, eye, eye, 1) for i in range(2)]
    torch.testing.assert_close(torch.cat(rows, dim=1), want, atol=1e-4, rtol=0)
    cache = ref.KVCache(1, 1, 4, 2)
    cache.update(torch.ones(1, 1, 3, 2), torch.ones(1, 1, 3, 2))
    with pytest.raises(ValueError):
        cache.update(torch.ones(1, 1, 2, 2), torch.ones(1, 1, 2, 2))
