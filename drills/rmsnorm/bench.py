"""Benchmark cases for `drill bench rmsnorm`: LLaMA-sized rows, torch's nn.RMSNorm as the built-in."""
import torch

CASES = [
    {"rows": 8 * 512, "dim": 4096},
    {"rows": 4 * 2048, "dim": 1024},
]
SMOKE_CASES = [  # tiny sizes for the test suite (bench(..., smoke=True))
    {"rows": 6, "dim": 16},
    {"rows": 3, "dim": 7},
]


def label(case):
    return f"{case['rows']} rows x dim {case['dim']}"


def _inputs(case, dtype):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(case["rows"], case["dim"], generator=g).to(getattr(torch, dtype))
    w = 1.0 + 0.1 * torch.randn(case["dim"], generator=g)
    return x, w


def setup(impl, case, device, dtype):
    x, w = _inputs(case, dtype)
    m = impl.RMSNorm(case["dim"])
    m.load_state_dict({"weight": w})
    m.to(device=device, dtype=getattr(torch, dtype))
    return m, (x,), {}


def builtin(case, device, dtype, args, kwargs):
    _, w = _inputs(case, dtype)
    m = torch.nn.RMSNorm(case["dim"], eps=1e-6).to(device=device, dtype=getattr(torch, dtype))
    with torch.no_grad():
        m.weight.copy_(w)
    return m, args, kwargs
