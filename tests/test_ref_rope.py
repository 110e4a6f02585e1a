"""The RoPE reference against independent formulations.

- interleaved RoPE is complex multiplication: view each (x[2i], x[2i+1]) as a + ib and
  multiply by e^(i·m·theta^(-2i/D)) (torch.view_as_complex / torch.polar, as in Meta's code);
- rotate-half is the same rotation after permuting the last dim so that channel i and
  channel i + D/2 become neighbours;
- the prompt's worked example has the numbers it states.
"""
import importlib.util
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent


def _load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


apply_rope = _load(ROOT / "solutions" / "rope.py", "ref_rope_under_test").apply_rope


def complex_rope(x, positions, theta):
    """Interleaved RoPE as complex multiplication, in float64."""
    D = x.shape[-1]
    freqs = theta ** (-torch.arange(0, D, 2, dtype=torch.float64) / D)
    angles = positions.to(torch.float64)[..., None] * freqs
    z = torch.view_as_complex(x.to(torch.float64).reshape(*x.shape[:-1], D // 2, 2).contiguous())
    return torch.view_as_real(z * torch.polar(torch.ones_like(angles), angles)).flatten(-2)


def half_to_neighbours(D):
    """perm with x[..., perm] = (x0, x_{D/2}, x1, x_{D/2+1}, ...): rotate-half pairs become neighbours."""
    return torch.stack((torch.arange(D // 2), torch.arange(D // 2) + D // 2), dim=-1).flatten()


CASES = [((5, 8), (5,)), ((2, 3, 4, 6), (2, 1, 4)), ((3, 7, 2), (3, 7)), ((1, 16), (1,))]


@pytest.mark.parametrize("shape,pos_shape", CASES)
@pytest.mark.parametrize("theta", [10000.0, 500000.0, 10.0])
def test_interleaved_equals_complex_multiplication(shape, pos_shape, theta):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(shape, generator=g, dtype=torch.float64)
    pos = torch.randint(0, 3000, pos_shape, generator=g)
    torch.testing.assert_close(apply_rope(x, pos, theta, interleaved=True), complex_rope(x, pos, theta))


@pytest.mark.parametrize("shape,pos_shape", CASES)
def test_rotate_half_is_interleaved_after_permuting_channels(shape, pos_shape):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(shape, generator=g, dtype=torch.float64)
    pos = torch.randint(0, 3000, pos_shape, generator=g)
    perm = half_to_neighbours(shape[-1])
    half = apply_rope(x, pos, 500000.0, interleaved=False)
    torch.testing.assert_close(half[..., perm], apply_rope(x[..., perm], pos, 500000.0, interleaved=True))
    torch.testing.assert_close(half[..., perm], complex_rope(x[..., perm], pos, 500000.0))


def test_prompt_example():
    x, pos = torch.tensor([[1.0, 2.0, 3.0, 4.0]]), torch.tensor([1])
    torch.testing.assert_close(apply_rope(x, pos), torch.tensor([[-1.9841, 1.9599, 2.4624, 4.0198]]),
                               atol=1e-4, rtol=0)
    torch.testing.assert_close(apply_rope(x, pos, interleaved=True),
                               torch.tensor([[-1.1426, 1.9221, 2.9599, 4.0298]]), atol=1e-4, rtol=0)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("interleaved", [False, True])
def test_half_inputs_use_float32_angles(dtype, interleaved):
    """At positions near 2000 the half-precision result is the float64 one, rounded once."""
    g = torch.Generator().manual_seed(2)
    x = torch.randn(3, 5, 8, generator=g).to(dtype)
    pos = torch.randint(1500, 4000, (5,), generator=g)
    got = apply_rope(x, pos, interleaved=interleaved)
    assert got.dtype == dtype
    exact = apply_rope(x.double(), pos, interleaved=interleaved)
    # the reference rounds once at the end; the float32 angle error at ~4000 is ~2e-4 rad
    torch.testing.assert_close(got.double(), exact, atol=2e-3 if dtype == torch.float16 else 1.6e-2, rtol=1e-2)


def test_position_zero_and_dtype_and_device():
    x = torch.randn(2, 3, 6, dtype=torch.float32)
    out = apply_rope(x, torch.zeros(3, dtype=torch.int32))
    assert out.dtype == x.dtype and out.device == x.device
    torch.testing.assert_close(out, x)
