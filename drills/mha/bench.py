"""Benchmark cases for `drill bench mha`: causal self-attention layers of LLaMA-like shapes.

The built-in uses the same four projection weights with F.linear and computes the attention
with F.scaled_dot_product_attention (is_causal, enable_gqa for grouped-query heads) on its
math backend, the same algorithm as a hand-written version (as in `drill bench attention`),
so the ratio measures the head bookkeeping, not a fused kernel. nn.MultiheadAttention is not
used: it packs q/k/v into one projection and has no grouped-query heads.
"""
import torch

CASES = [
    {"B": 8, "L": 512, "d_model": 512, "H": 8, "G": 8},      # plain MHA, head_dim 64
    {"B": 4, "L": 512, "d_model": 1024, "H": 16, "G": 4},    # GQA: 4 query heads per kv head
]
SMOKE_CASES = [
    {"B": 2, "L": 5, "d_model": 16, "H": 4, "G": 4},
    {"B": 2, "L": 7, "d_model": 24, "H": 6, "G": 2},         # GQA: catches repeat vs repeat_interleave
    {"B": 1, "L": 4, "d_model": 8, "H": 2, "G": 1},          # MQA
]


def label(case):
    kind = "MHA" if case["G"] == case["H"] else ("MQA" if case["G"] == 1 else f"GQA {case['G']} kv heads")
    return f"B={case['B']} L={case['L']} d={case['d_model']} H={case['H']} {kind}, causal"


def _inputs(case, dtype):
    g = torch.Generator().manual_seed(0)
    d, hd = case["d_model"], case["d_model"] // case["H"]
    shapes = {"q_proj.weight": (case["H"] * hd, d), "k_proj.weight": (case["G"] * hd, d),
              "v_proj.weight": (case["G"] * hd, d), "o_proj.weight": (d, case["H"] * hd)}
    weights = {name: torch.randn(shape, generator=g) / d ** 0.5 for name, shape in shapes.items()}
    x = torch.randn(case["B"], case["L"], d, generator=g).to(getattr(torch, dtype))
    return x, weights


def setup(impl, case, device, dtype):
    x, weights = _inputs(case, dtype)
    m = impl.MultiHeadAttention(case["d_model"], case["H"], case["G"])
    m.load_state_dict(weights)
    m.to(device=device, dtype=getattr(torch, dtype))
    return m, (x,), {"causal": True}


def builtin(case, device, dtype, args, kwargs):
    import torch.nn.functional as F
    from torch.nn.attention import SDPBackend, sdpa_kernel

    _, weights = _inputs(case, dtype)
    w = {k: v.to(device=device, dtype=getattr(torch, dtype)) for k, v in weights.items()}
    H, G = case["H"], case["G"]

    def mha_sdpa(x, causal=True):
        B, L, d = x.shape
        q = F.linear(x, w["q_proj.weight"]).view(B, L, H, -1).transpose(1, 2)
        k = F.linear(x, w["k_proj.weight"]).view(B, L, G, -1).transpose(1, 2)
        v = F.linear(x, w["v_proj.weight"]).view(B, L, G, -1).transpose(1, 2)
        with sdpa_kernel(SDPBackend.MATH):
            y = F.scaled_dot_product_attention(q, k, v, is_causal=causal, enable_gqa=G != H)
        return F.linear(y.transpose(1, 2).reshape(B, L, d), w["o_proj.weight"])

    return mha_sdpa, args, kwargs
