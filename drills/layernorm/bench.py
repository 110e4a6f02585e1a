"""Benchmark cases for `drill bench layernorm`: transformer-sized rows, torch's nn.LayerNorm as the built-in."""
import torch

CASES = [
    {"rows": 8 * 512, "dim": 4096},
    {"rows": 4 * 2048, "dim": 1024},
]
SMOKE_CASES = [
    {"rows": 6, "dim": 16},
    {"rows": 3, "dim": 7},
]


def label(case):
    return f"{case['rows']} rows x dim {case['dim']}"


def _inputs(case, dtype):
    g = torch.Generator().manual_seed(0)
    # an offset of 3 on every feature: the two-pass variance matters, the built-in handles it too
    x = (3.0 + torch.randn(case["rows"], case["dim"], generator=g)).to(getattr(torch, dtype))
    w = 1.0 + 0.1 * torch.randn(case["dim"], generator=g)
    b = 0.1 * torch.randn(case["dim"], generator=g)
    return x, w, b


def setup(impl, case, device, dtype):
    x, w, b = _inputs(case, dtype)
    m = impl.LayerNorm(case["dim"])
    m.load_state_dict({"weight": w, "bias": b})
    m.to(device=device, dtype=getattr(torch, dtype))
    return m, (x,), {}


def builtin(case, device, dtype, args, kwargs):
    _, w, b = _inputs(case, dtype)
    m = torch.nn.LayerNorm(case["dim"], eps=1e-5).to(device=device, dtype=getattr(torch, dtype))
    with torch.no_grad():
        m.weight.copy_(w)
        m.bias.copy_(b)
    return m, args, kwargs
