"""The SwiGLU / GeluMLP reference agrees with independent formulations: Meta's LLaMA
FeedForward (w1, w2, w3 with F.silu), an explicit matmul with silu = z·sigmoid(z), and
torch.nn.functional.gelu / the erf formula for the GELU MLP."""
import importlib.util
import math
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from grader.compare import assert_close

_path = Path(__file__).resolve().parent.parent / "solutions" / "swiglu.py"
_spec = importlib.util.spec_from_file_location("ref_swiglu_under_test", _path)
ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref)


class LlamaFeedForward(nn.Module):
    """Meta's llama/model.py FeedForward, without the d_ff rounding and tensor parallelism."""

    def __init__(self, dim, hidden_dim):
        super().__init__()
        self.w1 = nn.Linear(dim, hidden_dim, bias=False)
        self.w2 = nn.Linear(hidden_dim, dim, bias=False)
        self.w3 = nn.Linear(dim, hidden_dim, bias=False)

    def forward(self, x):
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


def _randn(shape, seed, scale=1.0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(shape, generator=g, dtype=torch.float64) * scale).to(dtype)


@pytest.mark.parametrize("d_model,d_ff", [(4, 11), (6, 16), (1, 3)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16])
def test_swiglu_matches_llama_feedforward(d_model, d_ff, dtype):
    ours, llama = ref.SwiGLU(d_model, d_ff), LlamaFeedForward(d_model, d_ff)
    sd = {"w_gate.weight": _randn((d_ff, d_model), 1, d_model ** -0.5),
          "w_up.weight": _randn((d_ff, d_model), 2, d_model ** -0.5),
          "w_down.weight": _randn((d_model, d_ff), 3, d_ff ** -0.5)}
    ours.load_state_dict(sd)
    # LLaMA's names: w1 = gate, w3 = up, w2 = down
    llama.load_state_dict({"w1.weight": sd["w_gate.weight"], "w3.weight": sd["w_up.weight"],
                           "w2.weight": sd["w_down.weight"]})
    ours, llama = ours.to(dtype), llama.to(dtype)
    x = _randn((2, 5, d_model), 4, 2.0, dtype)
    with torch.no_grad():
        assert_close(ours(x), llama(x), what=f"SwiGLU vs LLaMA FeedForward {dtype}")


@pytest.mark.parametrize("bias", [False, True])
def test_swiglu_matches_explicit_matmuls(bias):
    d_model, d_ff = 5, 7
    m = ref.SwiGLU(d_model, d_ff, bias=bias).double()
    assert sorted(m.state_dict()) == sorted(
        [f"{n}.{p}" for n in ("w_gate", "w_up", "w_down") for p in (("weight", "bias") if bias else ("weight",))])
    sd = {k: _randn(v.shape, i) for i, (k, v) in enumerate(m.state_dict().items())}
    m.load_state_dict(sd)
    x = _randn((3, d_model), 9)

    def lin(name, h):
        y = h @ sd[f"{name}.weight"].T
        return y + sd[f"{name}.bias"] if bias else y

    z = lin("w_gate", x)
    want = lin("w_down", z * torch.sigmoid(z) * lin("w_up", x))
    with torch.no_grad():
        assert_close(m(x), want)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16])
def test_gelu_mlp_matches_erf_formula_and_torch_gelu(bias, dtype):
    d_model, d_ff = 3, 8
    m = ref.GeluMLP(d_model, d_ff, bias=bias)
    sd = {k: _randn(v.shape, i, 0.7, torch.float32) for i, (k, v) in enumerate(m.state_dict().items())}
    m.load_state_dict(sd)
    m = m.to(dtype)
    x = _randn((4, d_model), 11, 2.0, dtype)
    h = x.double() @ sd["fc_in.weight"].double().T + (sd["fc_in.bias"].double() if bias else 0)
    exact = 0.5 * h * (1 + torch.erf(h / math.sqrt(2)))
    assert_close(F.gelu(h), exact, what="F.gelu is the erf GELU")
    want = exact @ sd["fc_out.weight"].double().T + (sd["fc_out.bias"].double() if bias else 0)
    with torch.no_grad():
        assert_close(m(x), want.to(dtype), what=f"GeluMLP {dtype} bias={bias}")


def test_tanh_gelu_differs_beyond_float32_tolerance():
    z = torch.linspace(-4, 4, 801)
    diff = (F.gelu(z) - F.gelu(z, approximate="tanh")).abs().max().item()
    assert 1e-4 < diff < 1e-3  # why the drill can require the exact form in float32


def test_prompt_example():
    m = ref.SwiGLU(2, 3)
    m.load_state_dict({"w_gate.weight": torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]),
                       "w_up.weight": torch.tensor([[1.0, 1.0], [2.0, 0.0], [0.0, -1.0]]),
                       "w_down.weight": torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]])})
    with torch.no_grad():
        assert_close(m(torch.tensor([[1.0, 2.0]])), torch.tensor([[2.1932, -2.1923]]), rtol=0, atol=1e-4)
    z = torch.tensor([1.0, -1.0], dtype=torch.float64)
    assert_close(F.gelu(z), torch.tensor([0.84134, -0.15866], dtype=torch.float64), rtol=0, atol=1e-5)
    assert_close(F.gelu(z, approximate="tanh"), torch.tensor([0.84119, -0.15881], dtype=torch.float64),
                 rtol=0, atol=1e-5)


def test_gradients_reach_every_parameter():
    for m in (ref.SwiGLU(3, 5, bias=True), ref.GeluMLP(3, 5)):
        m(torch.randn(2, 3)).sum().backward()
        assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in m.parameters())
