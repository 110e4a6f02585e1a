"""The transformer_block reference against a functional formulation built from torch's own ops.

- equals F.rms_norm + the rope drill's reference apply_rope (rotate-half) + torch's SDPA with
  is_causal=True and enable_gqa=True + F.silu, with the same weights (MHA, GQA, MQA);
- RoPE really is rotate-half: the same block with q/k weight rows permuted to interleaved
  order and the interleaved rope gives the same output;
- half precision stays close to float64 and returns the input dtype;
- the prompt's worked example and the parameter names/shapes hold.
"""
import importlib.util
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


ref = _load(ROOT / "solutions" / "transformer_block.py", "ref_transformer_block_under_test")
rope = _load(ROOT / "solutions" / "rope.py", "ref_rope_for_transformer_block").apply_rope

HEADS = [(1, 1), (2, 2), (2, 1), (4, 1), (4, 2), (6, 2), (6, 3), (3, 3)]


def make(H, G, hd, d_ff, eps, theta, seed, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    block = ref.DecoderBlock(H * hd, H, d_ff, n_kv_heads=G, eps=eps, theta=theta).to(dtype)
    with torch.no_grad():
        for name, p in block.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(1 + 0.3 * torch.randn(p.shape, generator=g, dtype=dtype))
            else:
                p.copy_(torch.randn(p.shape, generator=g, dtype=dtype) * p.shape[1] ** -0.5)
    return block, g


def functional(sd, x, H, G, eps, theta, interleaved=False):
    B, L, D = x.shape
    hd = D // H
    pos = torch.arange(L)
    n = F.rms_norm(x, (D,), sd["attn_norm.weight"], eps)
    q = F.linear(n, sd["attn.q_proj.weight"]).view(B, L, H, hd).transpose(1, 2)
    k = F.linear(n, sd["attn.k_proj.weight"]).view(B, L, G, hd).transpose(1, 2)
    v = F.linear(n, sd["attn.v_proj.weight"]).view(B, L, G, hd).transpose(1, 2)
    q, k = rope(q, pos, theta, interleaved=interleaved), rope(k, pos, theta, interleaved=interleaved)
    y = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
    h = x + F.linear(y.transpose(1, 2).reshape(B, L, H * hd), sd["attn.o_proj.weight"])
    m = F.rms_norm(h, (D,), sd["mlp_norm.weight"], eps)
    ff = F.silu(F.linear(m, sd["mlp.w_gate.weight"])) * F.linear(m, sd["mlp.w_up.weight"])
    return h + F.linear(ff, sd["mlp.w_down.weight"])


configs = st.tuples(st.sampled_from(HEADS), st.sampled_from([2, 4, 6]), st.integers(1, 9), st.integers(1, 3),
                    st.integers(1, 8), st.sampled_from([1e-6, 1e-2]), st.sampled_from([10000.0, 100.0, 5e5]),
                    st.integers(0, 2**16))


@settings(max_examples=40, deadline=None)
@given(configs)
def test_equals_functional_torch_block(c):
    (H, G), hd, d_ff, B, L, eps, theta, seed = c
    block, g = make(H, G, hd, d_ff, eps, theta, seed)
    x = torch.randn(B, L, H * hd, generator=g, dtype=torch.float64)
    with torch.no_grad():
        torch.testing.assert_close(block(x), functional(block.state_dict(), x, H, G, eps, theta))


@settings(max_examples=20, deadline=None)
@given(configs)
def test_rotate_half_is_interleaved_with_permuted_qk_rows(c):
    """HF's conversion script permutes q/k rows so that interleaved checkpoints run with rotate-half."""
    (H, G), hd, d_ff, B, L, eps, theta, seed = c
    block, g = make(H, G, hd, d_ff, eps, theta, seed)
    x = torch.randn(B, L, H * hd, generator=g, dtype=torch.float64)
    sd = dict(block.state_dict())
    # within each head, row i of rotate-half order goes to position 2i (i < hd/2) or 2(i - hd/2) + 1
    perm = torch.stack((torch.arange(hd // 2), torch.arange(hd // 2) + hd // 2), dim=-1).flatten()
    for name, heads in (("attn.q_proj.weight", H), ("attn.k_proj.weight", G)):
        w = sd[name].view(heads, hd, -1)
        sd[name] = w[:, perm].reshape(heads * hd, -1)
    with torch.no_grad():
        got = functional(sd, x, H, G, eps, theta, interleaved=True)
        torch.testing.assert_close(got, block(x))


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_is_close_to_float64(dtype):
    block, g = make(4, 2, 4, 7, 1e-6, 10000.0, seed=3)
    x = torch.randn(2, 6, 16, generator=g, dtype=torch.float64)
    with torch.no_grad():
        want = block(x)
        got = block.to(dtype)(x.to(dtype))
    assert got.dtype == dtype and not torch.isnan(got).any()
    torch.testing.assert_close(got.double(), want, rtol=5e-2, atol=1e-1)


def test_zero_output_projections_give_the_identity():
    block, g = make(6, 3, 2, 5, 1e-6, 10000.0, seed=4)
    with torch.no_grad():
        block.attn.o_proj.weight.zero_()
        block.mlp.w_down.weight.zero_()
        x = torch.randn(2, 5, 12, generator=g, dtype=torch.float64)
        assert torch.equal(block(x), x)


def test_prompt_example():
    block = ref.DecoderBlock(2, 1, 1)
    with torch.no_grad():
        for lin in (block.attn.q_proj, block.attn.k_proj, block.attn.v_proj, block.attn.o_proj):
            lin.weight.copy_(torch.eye(2))
        block.mlp.w_gate.weight.copy_(torch.tensor([[1.0, 0.0]]))
        block.mlp.w_up.weight.copy_(torch.tensor([[0.0, 1.0]]))
        block.mlp.w_down.weight.copy_(torch.tensor([[1.0], [1.0]]))
        one = block(torch.tensor([[[3.0, 4.0]]]))
        two = block(torch.tensor([[[3.0, 4.0], [0.0, 1.0]]]))
    torch.testing.assert_close(one, torch.tensor([[[4.5208, 5.8036]]]), rtol=0, atol=1e-4)
    torch.testing.assert_close(two, torch.tensor([[[4.5208, 5.8036], [0.2199, 2.4306]]]), rtol=0, atol=1e-4)


def test_parameter_names_and_shapes():
    shapes = {n: tuple(p.shape) for n, p in ref.DecoderBlock(12, 6, 7, n_kv_heads=2).named_parameters()}
    assert shapes == {"attn_norm.weight": (12,), "attn.q_proj.weight": (12, 12), "attn.k_proj.weight": (4, 12),
                      "attn.v_proj.weight": (4, 12), "attn.o_proj.weight": (12, 12), "mlp_norm.weight": (12,),
                      "mlp.w_gate.weight": (7, 12), "mlp.w_up.weight": (7, 12), "mlp.w_down.weight": (12, 7)}
