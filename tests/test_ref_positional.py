"""The positional reference against independent formulations.

- the sinusoidal table equals the Annotated Transformer's exp/log formulation (in float64)
  and the prompt's numbers;
- the slopes equal the ALiBi paper's own reference code, copied verbatim;
- the bias's -inf pattern is torch's lower-right causal mask, and softmax(scores + bias)
  equals BLOOM's key-position-only form (slope·j) under that mask.
"""
import importlib.util
import math
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch.nn.attention.bias import causal_lower_right

_path = Path(__file__).resolve().parent.parent / "solutions" / "positional.py"
_spec = importlib.util.spec_from_file_location("ref_positional_under_test", _path)
ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref)


def paper_get_slopes(n):
    """ofirpress/attention_with_linear_biases, fairseq/models/transformer.py (verbatim)."""
    def get_slopes_power_of_2(n):
        start = (2**(-2**-(math.log2(n)-3)))
        ratio = start
        return [start*ratio**i for i in range(n)]

    if math.log2(n).is_integer():
        return get_slopes_power_of_2(n)
    else:
        closest_power_of_2 = 2**math.floor(math.log2(n))
        return get_slopes_power_of_2(closest_power_of_2) + paper_get_slopes(2*closest_power_of_2)[0::2][:n-closest_power_of_2]


@pytest.mark.parametrize("n,d", [(1, 2), (7, 4), (50, 16), (128, 64), (5, 512)])
def test_table_is_the_annotated_transformers(n, d):
    pe = torch.zeros(n, d, dtype=torch.float64)
    position = torch.arange(0, n, dtype=torch.float64).unsqueeze(1)
    div_term = torch.exp(torch.arange(0, d, 2, dtype=torch.float64) * -(math.log(10000.0) / d))
    pe[:, 0::2] = torch.sin(position * div_term)
    pe[:, 1::2] = torch.cos(position * div_term)
    got = ref.sinusoidal_positions(n, d)
    assert got.dtype == torch.float32 and got.shape == (n, d)
    torch.testing.assert_close(got, pe.float(), rtol=0, atol=1e-6)


def test_table_prompt_example():
    want = torch.tensor([[0.0, 1.0, 0.0, 1.0],
                         [math.sin(1), math.cos(1), math.sin(0.01), math.cos(0.01)],
                         [math.sin(2), math.cos(2), math.sin(0.02), math.cos(0.02)]])
    torch.testing.assert_close(ref.sinusoidal_positions(3, 4), want)
    rounded = ref.sinusoidal_positions(3, 4).double().round(decimals=5).tolist()
    assert rounded[1] == [0.84147, 0.5403, 0.01, 0.99995] and rounded[2] == [0.9093, -0.41615, 0.02, 0.9998]


@pytest.mark.parametrize("n", list(range(1, 65)) + [80, 96, 100, 128])
def test_slopes_are_the_papers(n):
    want = torch.tensor(paper_get_slopes(n), dtype=torch.float32)
    got = ref.alibi_slopes(n)
    assert got.dtype == torch.float32 and got.shape == (n,)
    torch.testing.assert_close(got, want, rtol=1e-7, atol=0)


def test_slopes_prompt_examples():
    assert ref.alibi_slopes(8).tolist() == [2.0 ** -k for k in range(1, 9)]
    assert ref.alibi_slopes(6).tolist() == [1 / 4, 1 / 16, 1 / 64, 1 / 256, 1 / 2, 1 / 8]
    assert ref.alibi_slopes(2).tolist() == [1 / 16, 1 / 256]


@pytest.mark.parametrize("lq,lk", [(1, 1), (1, 6), (3, 5), (5, 5), (2, 9)])
def test_bias_infinities_are_the_lower_right_causal_mask(lq, lk):
    bias = ref.alibi_bias(3, lq, lk)
    allowed = causal_lower_right(lq, lk)._materialize(torch.device("cpu"))
    assert bias.shape == (3, lq, lk) and bias.dtype == torch.float32
    assert torch.equal(torch.isneginf(bias), ~allowed.expand(3, lq, lk))
    assert (bias[:, allowed] <= 0).all()


@pytest.mark.parametrize("lq,lk", [(1, 7), (4, 6), (6, 6)])
def test_softmax_with_bias_equals_blooms_key_only_bias(lq, lk):
    H = 6
    g = torch.Generator().manual_seed(0)
    scores = torch.randn(H, lq, lk, generator=g)
    allowed = causal_lower_right(lq, lk)._materialize(torch.device("cpu"))
    # BLOOM: slope_h * key position, broadcast over queries; constant per row, so softmax agrees
    bloom = ref.alibi_slopes(H)[:, None, None] * torch.arange(lk, dtype=torch.float32)[None, None, :]
    want = torch.softmax((scores + bloom).masked_fill(~allowed, float("-inf")), dim=-1)
    got = torch.softmax(scores + ref.alibi_bias(H, lq, lk), dim=-1)
    torch.testing.assert_close(got, want)


def test_bias_as_sdpa_float_mask():
    g = torch.Generator().manual_seed(1)
    H, lq, lk, D = 4, 3, 7, 8
    q, k, v = torch.randn(H, lq, D, generator=g), torch.randn(H, lk, D, generator=g), torch.randn(H, lk, D, generator=g)
    bias = ref.alibi_bias(H, lq, lk)
    manual = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(D) + bias, dim=-1) @ v
    torch.testing.assert_close(F.scaled_dot_product_attention(q, k, v, attn_mask=bias), manual)


def test_bias_prompt_example():
    inf = float("inf")
    assert ref.alibi_bias(2, 2, 4).tolist() == [
        [[-0.125, -0.0625, 0.0, -inf], [-0.1875, -0.125, -0.0625, 0.0]],
        [[-0.0078125, -0.00390625, 0.0, -inf], [-0.01171875, -0.0078125, -0.00390625, 0.0]]]
