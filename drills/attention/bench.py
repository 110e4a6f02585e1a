"""Benchmark cases for `drill bench attention`: realistic sizes, torch's SDPA as the built-in."""
import torch

CASES = [
    {"B": 8, "H": 8, "L": 512, "D": 64, "masked": False},
    {"B": 8, "H": 8, "L": 512, "D": 64, "masked": True},
    {"B": 4, "H": 16, "L": 1024, "D": 64, "masked": True},
]
SMOKE_CASES = [  # tiny sizes for the test suite (bench(..., smoke=True))
    {"B": 2, "H": 2, "L": 6, "D": 8, "masked": False},
    {"B": 1, "H": 3, "L": 5, "D": 4, "masked": True},
]


def label(case):
    return f"B={case['B']} H={case['H']} L={case['L']} D={case['D']}" + (" causal mask" if case["masked"] else "")


def setup(impl, case, device, dtype):
    g = torch.Generator().manual_seed(0)
    shape = (case["B"], case["H"], case["L"], case["D"])
    q, k, v = (torch.randn(shape, generator=g).to(getattr(torch, dtype)) for _ in range(3))
    mask = torch.ones(case["L"], case["L"], dtype=torch.bool).tril() if case["masked"] else None
    return "scaled_dot_product_attention", (q, k, v, mask), {}


def builtin(case, device, dtype, args, kwargs):
    from torch.nn.attention import SDPBackend, sdpa_kernel
    import torch.nn.functional as F

    q, k, v, mask = args

    def sdpa_math(q, k, v, mask):
        # the math backend: the same algorithm as a hand-written version, so the comparison is fair
        with sdpa_kernel(SDPBackend.MATH):
            return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)

    return sdpa_math, (q, k, v, mask), {}
