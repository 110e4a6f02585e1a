"""The RMSNorm reference agrees with torch.nn.RMSNorm (same eps, same weights)."""
import importlib.util
from pathlib import Path

import pytest
import torch

from grader.compare import assert_close

_path = Path(__file__).resolve().parent.parent / "solutions" / "rmsnorm.py"
_spec = importlib.util.spec_from_file_location("ref_rmsnorm_under_test", _path)
ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref)


def _pair(dim, eps, dtype, seed):
    g = torch.Generator().manual_seed(seed)
    weight = 1.0 + 0.5 * torch.randn(dim, generator=g)
    ours, theirs = ref.RMSNorm(dim, eps=eps), torch.nn.RMSNorm(dim, eps=eps)
    ours.load_state_dict({"weight": weight})
    theirs.load_state_dict({"weight": weight})
    return ours.to(dtype), theirs.to(dtype)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
@pytest.mark.parametrize("shape", [(7,), (3, 5), (2, 4, 6), (2, 3, 1)])
@pytest.mark.parametrize("eps", [1e-6, 1e-3])
@pytest.mark.parametrize("scale", [1e-3, 1.0, 30.0])
def test_reference_matches_torch_rmsnorm(dtype, shape, eps, scale):
    ours, theirs = _pair(shape[-1], eps, dtype, seed=len(shape) * 100 + shape[-1])
    g = torch.Generator().manual_seed(sum(shape))
    x = (torch.randn(shape, generator=g, dtype=torch.float64) * scale).to(dtype)
    with torch.no_grad():
        assert_close(ours(x), theirs(x), what=f"reference vs torch.nn.RMSNorm, {dtype}, {shape}, eps={eps}")


def test_default_eps_matches_the_prompt():
    assert ref.RMSNorm(4).eps == 1e-6
    x = torch.full((1, 4), 1e-3)
    want = x / torch.sqrt(torch.tensor(1e-6 + 1e-6))
    assert_close(ref.RMSNorm(4)(x).detach(), want)


def test_prompt_example():
    y = ref.RMSNorm(2)(torch.tensor([[3.0, 4.0]])).detach()
    assert_close(y, torch.tensor([[0.8485, 1.1314]]), rtol=0, atol=1e-4)


def test_float16_large_inputs_do_not_overflow():
    m = ref.RMSNorm(8).half()
    x = torch.full((2, 8), 300.0, dtype=torch.float16)
    with torch.no_grad():
        y = m(x)
    assert y.dtype == torch.float16
    assert_close(y, torch.ones(2, 8, dtype=torch.float16))


def test_gradients_match_torch_rmsnorm():
    ours, theirs = _pair(6, 1e-6, torch.float64, seed=3)
    x = torch.randn(4, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(5))
    gy = torch.randn(4, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(6))
    x1, x2 = x.clone().requires_grad_(), x.clone().requires_grad_()
    ours(x1).backward(gy)
    theirs(x2).backward(gy)
    assert_close(x1.grad, x2.grad, what="input gradient")
    assert_close(ours.weight.grad, theirs.weight.grad, what="weight gradient")
