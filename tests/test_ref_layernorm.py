"""The LayerNorm reference agrees with torch.nn.LayerNorm (same eps, flags and parameters)."""
import importlib.util
from pathlib import Path

import pytest
import torch

from grader.compare import assert_close

_path = Path(__file__).resolve().parent.parent / "solutions" / "layernorm.py"
_spec = importlib.util.spec_from_file_location("ref_layernorm_under_test", _path)
ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref)


def _pair(D, eps, affine, bias, dtype, seed):
    ours = ref.LayerNorm(D, eps=eps, elementwise_affine=affine, bias=bias)
    theirs = torch.nn.LayerNorm(D, eps=eps, elementwise_affine=affine, bias=bias)
    g = torch.Generator().manual_seed(seed)
    sd = {"weight": 1.0 + 0.5 * torch.randn(D, generator=g), "bias": 0.5 * torch.randn(D, generator=g)}
    sd = {k: v for k, v in sd.items() if k in theirs.state_dict()}
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
    ours.load_state_dict(sd)
    theirs.load_state_dict(sd)
    return ours.to(dtype), theirs.to(dtype)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
@pytest.mark.parametrize("shape", [(7,), (3, 5), (2, 4, 6), (2, 3, 1)])
@pytest.mark.parametrize("affine,bias", [(True, True), (True, False), (False, True)])
@pytest.mark.parametrize("eps", [1e-5, 1e-3])
@pytest.mark.parametrize("scale", [1e-3, 1.0, 30.0])
def test_reference_matches_torch_layernorm(dtype, shape, affine, bias, eps, scale):
    if dtype in (torch.float16, torch.bfloat16) and scale < 1e-2:
        scale = 0.5  # half precision cannot represent the tiny case with useful accuracy
    ours, theirs = _pair(shape[-1], eps, affine, bias, dtype, seed=len(shape) * 100 + shape[-1])
    g = torch.Generator().manual_seed(sum(shape))
    x = (torch.randn(shape, generator=g, dtype=torch.float64) * scale + 0.3).to(dtype)
    with torch.no_grad():
        assert_close(ours(x), theirs(x), what=f"reference vs torch.nn.LayerNorm, {dtype}, {shape}, eps={eps}")


def test_defaults_and_parameters_match_torch():
    ours, theirs = ref.LayerNorm(5), torch.nn.LayerNorm(5)
    assert ours.eps == theirs.eps == 1e-5
    for name in ("weight", "bias"):
        assert_close(getattr(ours, name).detach(), getattr(theirs, name).detach())
    bare = ref.LayerNorm(5, elementwise_affine=False)
    assert bare.weight is None and bare.bias is None and not list(bare.parameters())


def test_large_offset_is_as_accurate_as_torch():
    g = torch.Generator().manual_seed(0)
    x = (torch.randn(64, 6, generator=g, dtype=torch.float64) + 5000.0).float()
    truth = torch.nn.functional.layer_norm(x.double(), (6,))
    ours = ref.LayerNorm(6)(x).detach().double()
    theirs = torch.nn.LayerNorm(6)(x).detach().double()
    err_ours, err_torch = (ours - truth).abs().max().item(), (theirs - truth).abs().max().item()
    assert err_ours < 5e-3 and err_ours <= 2 * err_torch + 1e-4, (err_ours, err_torch)


def test_gradients_match_torch_layernorm():
    ours, theirs = _pair(6, 1e-5, True, True, torch.float64, seed=3)
    x = torch.randn(4, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(5))
    gy = torch.randn(4, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(6))
    x1, x2 = x.clone().requires_grad_(), x.clone().requires_grad_()
    ours(x1).backward(gy)
    theirs(x2).backward(gy)
    assert_close(x1.grad, x2.grad, what="input gradient")
    assert_close(ours.weight.grad, theirs.weight.grad, what="weight gradient")
    assert_close(ours.bias.grad, theirs.bias.grad, what="bias gradient")


def test_prompt_example():
    y = ref.LayerNorm(3)(torch.tensor([[1.0, 2.0, 6.0]])).detach()
    assert_close(y, torch.tensor([[-0.9258, -0.4629, 1.3887]]), rtol=0, atol=1e-4)
    c = torch.tensor([-2.0, -1.0, 3.0])
    assert_close(c / 7 ** 0.5, torch.tensor([-0.7559, -0.3780, 1.1339]), rtol=0, atol=1e-4)


def test_float16_large_spread_does_not_overflow():
    m = ref.LayerNorm(4).half()
    x = torch.tensor([[300.0, -300.0, 300.0, -300.0]], dtype=torch.float16)
    with torch.no_grad():
        y = m(x)
    assert y.dtype == torch.float16
    assert_close(y, torch.tensor([[1.0, -1.0, 1.0, -1.0]], dtype=torch.float16))
