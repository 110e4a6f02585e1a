"""The perplexity reference against torch's F.cross_entropy(ignore_index=pad_id) (mean and
sum reductions), at ordinary and huge logits, and the prompt's worked example."""
import math

import pytest
import torch
import torch.nn.functional as F

from grader.catalog import load_catalog
from grader.compare import assert_close
from grader.runner import load_module

REF = load_module(load_catalog().get("perplexity").solution_path, "test_ref_perplexity_solution")


def _case(B, T, V, pad_id, seed, dtype, scale=2.0, offset=0.0):
    g = torch.Generator().manual_seed(seed)
    logits = (torch.randn(B, T, V, generator=g, dtype=torch.float64) * scale + offset).to(dtype)
    targets = torch.randint(0, V, (B, T), generator=g)
    targets[targets == pad_id] = (pad_id + 1) % V
    lengths = torch.randint(0, T + 1, (B,), generator=g)
    lengths[0] = T
    targets = targets.masked_fill(torch.arange(T)[None, :] >= lengths[:, None], pad_id)
    return logits, targets


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("B,T,V,pad_id", [(3, 5, 7, 0), (1, 4, 2, 1), (4, 9, 50, 49), (2, 1, 3, 2)])
@pytest.mark.parametrize("offset", [0.0, 1e4])
def test_equals_torch_cross_entropy(dtype, B, T, V, pad_id, offset):
    logits, targets = _case(B, T, V, pad_id, seed=B * 100 + T * 10 + V, dtype=dtype, offset=offset)
    flat_logits, flat_targets = logits.reshape(-1, V), targets.reshape(-1)
    mean = F.cross_entropy(flat_logits, flat_targets, ignore_index=pad_id)
    total = F.cross_entropy(flat_logits, flat_targets, ignore_index=pad_id, reduction="sum")
    n_chars = 3 * int((targets != pad_id).sum()) + 1
    # a float32 logit of 1e4 is known to ~1e-3: allow that much in the NLL (as the spec does)
    atol = 8 * torch.finfo(dtype).eps * float(logits.abs().max()) + 1e-6
    assert_close(REF.perplexity(logits, targets, pad_id), torch.exp(mean), rtol=atol + 1e-5)
    assert_close(REF.bits_per_token(logits, targets, pad_id), mean / math.log(2), atol=atol)
    n = int((targets != pad_id).sum())
    assert_close(REF.bits_per_char(logits, targets, pad_id, n_chars), total / math.log(2) / n_chars,
                 atol=atol * n / n_chars)


def test_uniform_logits_give_v():
    logits = torch.full((2, 3, 11), 4.2)
    targets = torch.tensor([[1, 2, 0], [5, 0, 0]])
    assert_close(REF.perplexity(logits, targets, 0), torch.tensor(11.0))
    assert_close(REF.bits_per_token(logits, targets, 0), torch.tensor(math.log2(11)))


def test_tiny_target_probability_stays_finite():
    logits = torch.tensor([[[0.0, -150.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 2.0], [0.5, 0.5, 0.0]]])
    targets = torch.tensor([[1, 0, 2, 0]])
    got = REF.bits_per_token(logits, targets, pad_id=0)  # targets 1 and 2 count, the 0s are padding
    want = F.cross_entropy(logits[0], targets[0], ignore_index=0) / math.log(2)
    assert torch.isfinite(got)
    assert_close(got, want)
    assert torch.isinf(-torch.softmax(logits, -1)[0, 0, 1].log())  # why log(softmax) is banned


def test_worked_example_from_the_prompt():
    logits = torch.tensor([[[0.0, 0.0, 0.0, 0.0], [0.0, math.log(3), 0.0, 0.0], [5.0, 1.0, 2.0, 3.0]]])
    targets = torch.tensor([[2, 1, 0]])
    assert_close(REF.perplexity(logits, targets, 0), torch.tensor(2 ** 1.5))
    assert_close(REF.bits_per_token(logits, targets, 0), torch.tensor(1.5))
    assert_close(REF.bits_per_char(logits, targets, 0, 6), torch.tensor(0.5))
    assert round(REF.perplexity(logits, targets, 0).item(), 4) == 2.8284
