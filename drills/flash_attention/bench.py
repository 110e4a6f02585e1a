"""Benchmark cases for `drill bench flash_attention`: tiled attention at prefill sizes.

The built-in is F.scaled_dot_product_attention with torch's default dispatch, which on the
CPU (float32, no explicit mask) runs its fused FlashAttention kernel: the same tiled
algorithm, compiled. Block sizes are those of a real kernel (64, 128), not the drill's
default 16, so the Python loop over tiles does not dominate.
"""
import torch

CASES = [
    {"B": 8, "H": 8, "L": 512, "D": 64, "block": 64, "causal": False},
    {"B": 8, "H": 8, "L": 512, "D": 64, "block": 64, "causal": True},
    {"B": 4, "H": 16, "L": 1024, "D": 64, "block": 128, "causal": True},
]
SMOKE_CASES = [
    {"B": 2, "H": 2, "L": 10, "D": 8, "block": 4, "causal": False},   # blocks that do not divide L
    {"B": 1, "H": 3, "L": 9, "D": 4, "block": 4, "causal": True},
]


def label(case):
    return (f"B={case['B']} H={case['H']} L={case['L']} D={case['D']} blocks {case['block']}"
            + (" causal" if case["causal"] else ""))


def setup(impl, case, device, dtype):
    g = torch.Generator().manual_seed(0)
    shape = (case["B"], case["H"], case["L"], case["D"])
    q, k, v = (torch.randn(shape, generator=g).to(getattr(torch, dtype)) for _ in range(3))
    return "flash_attention", (q, k, v), {"block_q": case["block"], "block_k": case["block"],
                                          "causal": case["causal"]}


def builtin(case, device, dtype, args, kwargs):
    import torch.nn.functional as F

    q, k, v = args

    def sdpa(q, k, v):
        # Lq == Lk here, so SDPA's is_causal (j <= i) is the drill's causal alignment
        return F.scaled_dot_product_attention(q, k, v, is_causal=kwargs["causal"])

    return sdpa, (q, k, v), {}
