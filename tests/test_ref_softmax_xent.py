"""The softmax / log_softmax / cross_entropy reference agrees with torch's own functions."""
import importlib.util
import math
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from grader.compare import assert_close

_path = Path(__file__).resolve().parent.parent / "solutions" / "softmax_xent.py"
_spec = importlib.util.spec_from_file_location("ref_softmax_xent_under_test", _path)
ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref)

DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16]


def _randn(shape, seed, scale=1.0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(shape, generator=g, dtype=torch.float64) * scale).to(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,dim", [((7,), 0), ((3, 5), -1), ((3, 5), 0), ((2, 4, 6), 1), ((2, 4, 6), -3)])
@pytest.mark.parametrize("scale", [1.0, 30.0, 1e4])
def test_softmax_and_log_softmax_match_torch(dtype, shape, dim, scale):
    if dtype in (torch.float16, torch.bfloat16) and scale > 1e3:
        scale = 1e3  # within fp16's range (max 65504)
    x = _randn(shape, seed=sum(shape) + dim, scale=scale, dtype=dtype)
    assert_close(ref.softmax(x, dim), F.softmax(x, dim=dim), what=f"softmax {dtype} {shape} dim={dim}")
    want = F.log_softmax(x, dim=dim)
    # |log p| reaches ~1e5 here: allow one rounding of the input magnitude (float32 spacing at 3e4 is 2e-3)
    atol = 8 * torch.finfo(dtype).eps * float(x.abs().max().float())
    assert_close(ref.log_softmax(x, dim), want, what=f"log_softmax {dtype} {shape} dim={dim}",
                 atol=max(atol, 1e-6))


def test_minus_inf_entries():
    x = torch.tensor([[0.0, float("-inf"), 1.0], [float("-inf"), 2.0, float("-inf")]])
    assert_close(ref.softmax(x), F.softmax(x, dim=-1))
    assert_close(ref.log_softmax(x), F.log_softmax(x, dim=-1))


def test_far_below_the_max_is_finite():
    x = torch.tensor([0.0, -200.0])
    assert_close(ref.log_softmax(x), torch.tensor([0.0, -200.0]))
    assert torch.log(ref.softmax(x))[1] == float("-inf")  # why the prompt forbids log(softmax)


def _targets(shape, C, seed, ignore_index, p_ignore):
    g = torch.Generator().manual_seed(seed)
    t = torch.randint(0, C, shape, generator=g)
    return t.masked_fill(torch.rand(shape, generator=g) < p_ignore, ignore_index)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(5, 3), (4, 7, 2), (3, 5, 2, 4), (1, 6)])
@pytest.mark.parametrize("ignore_index", [-100, 0])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1, 1.0])
def test_cross_entropy_matches_torch(dtype, shape, ignore_index, label_smoothing):
    N, C, extra = shape[0], shape[1], shape[2:]
    logits = _randn(shape, seed=N * 10 + C, scale=2.0, dtype=dtype)
    targets = _targets((N,) + extra, C, seed=C, ignore_index=ignore_index, p_ignore=0.3)
    targets.view(-1)[0] = 1 if ignore_index == 0 else 0  # at least one kept target
    got = ref.cross_entropy(logits, targets, ignore_index=ignore_index, label_smoothing=label_smoothing)
    want = F.cross_entropy(logits, targets, ignore_index=ignore_index, label_smoothing=label_smoothing)
    assert_close(got, want, what=f"cross_entropy {dtype} {shape} ignore={ignore_index} eps={label_smoothing}")


@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_every_target_ignored_is_nan_like_torch(label_smoothing):
    logits = _randn((3, 4), seed=1)
    targets = torch.full((3,), -100)
    got = ref.cross_entropy(logits, targets, label_smoothing=label_smoothing)
    want = F.cross_entropy(logits, targets, label_smoothing=label_smoothing)
    assert torch.isnan(got) and torch.isnan(want)


def test_huge_logits_match_torch():
    logits = _randn((4, 5), seed=7, scale=1e4)
    targets = torch.tensor([0, 3, -100, 4])
    got = ref.cross_entropy(logits, targets, label_smoothing=0.1)
    assert torch.isfinite(got)
    assert_close(got, F.cross_entropy(logits, targets, label_smoothing=0.1))


@pytest.mark.parametrize("label_smoothing", [0.0, 0.3])
def test_gradient_matches_torch(label_smoothing):
    logits = _randn((4, 5, 3), seed=11, dtype=torch.float64)
    targets = _targets((4, 3), 5, seed=12, ignore_index=-100, p_ignore=0.3)
    a, b = logits.clone().requires_grad_(), logits.clone().requires_grad_()
    ref.cross_entropy(a, targets, label_smoothing=label_smoothing).backward()
    F.cross_entropy(b, targets, label_smoothing=label_smoothing).backward()
    assert_close(a.grad, b.grad, what="gradient with respect to the logits")


def test_prompt_example():
    x = torch.tensor([[2.0, 1.0, 0.1]])
    assert_close(ref.softmax(x), torch.tensor([[0.6590, 0.2424, 0.0986]]), rtol=0, atol=1e-4)
    assert_close(ref.log_softmax(x), torch.tensor([[-0.4170, -1.4170, -2.3170]]), rtol=0, atol=1e-4)
    assert_close(ref.cross_entropy(x, torch.tensor([0])), torch.tensor(0.4170), rtol=0, atol=1e-4)
    smoothed = 0.9 * 0.4170 + 0.1 * (0.4170 + 1.4170 + 2.3170) / 3
    assert_close(ref.cross_entropy(x, torch.tensor([0]), label_smoothing=0.1), torch.tensor(0.5137), rtol=0, atol=1e-4)
    assert math.isclose(smoothed, 0.5137, abs_tol=1e-4)
    logits = torch.tensor([[2.0, 1.0, 0.1], [0.0, 0.0, 0.0]])
    assert_close(ref.cross_entropy(logits, torch.tensor([0, -100])), torch.tensor(0.4170), rtol=0, atol=1e-4)
    assert torch.isnan(ref.cross_entropy(logits, torch.tensor([-100, -100])))
