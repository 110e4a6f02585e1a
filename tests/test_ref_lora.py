"""The LoRA reference against independent formulations: the dense weight W + (alpha/r)·B·A,
hand-derived gradients, the prompt's worked example, and what the spec cannot see
through the sandbox (requires_grad flags, init bounds, dtypes)."""
import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.catalog import load_catalog
from grader.runner import load_module

REF = load_module(load_catalog().get("lora").solution_path, "test_ref_lora_solution")


def make(n_in, n_out, r, alpha, bias=True, dtype=torch.float64, seed=0):
    g = torch.Generator().manual_seed(seed)
    base = torch.nn.Linear(n_in, n_out, bias=bias, dtype=dtype)
    m = REF.LoRALinear(base, r, alpha)
    sd = {"base.weight": torch.randn(n_out, n_in, generator=g, dtype=dtype),
          "lora_A": torch.randn(r, n_in, generator=g, dtype=dtype),
          "lora_B": torch.randn(n_out, r, generator=g, dtype=dtype)}
    if bias:
        sd["base.bias"] = torch.randn(n_out, generator=g, dtype=dtype)
    m.load_state_dict(sd)
    return m, sd


def test_worked_example_from_the_prompt():
    base = torch.nn.Linear(2, 1, bias=False)
    m = REF.LoRALinear(base, r=1, alpha=2)
    m.load_state_dict({"base.weight": torch.tensor([[1.0, 2.0]]), "lora_A": torch.tensor([[1.0, 0.0]]),
                       "lora_B": torch.tensor([[3.0]])})
    x = torch.tensor([[1.0, 1.0]])
    assert m(x).tolist() == [[9.0]]
    m.merge()
    assert m.base.weight.tolist() == [[7.0, 2.0]]
    assert m(x).tolist() == [[9.0]]


@settings(max_examples=15, deadline=None)
@given(n_in=st.integers(1, 9), n_out=st.integers(1, 9), r=st.integers(1, 5), alpha=st.sampled_from([1, 3, 8, 16]),
       bias=st.booleans(), lead=st.lists(st.integers(1, 4), max_size=2), seed=st.integers(0, 1000))
def test_forward_and_gradients_match_the_dense_formula(n_in, n_out, r, alpha, bias, lead, seed):
    m, sd = make(n_in, n_out, r, alpha, bias, seed=seed)
    g = torch.Generator().manual_seed(seed + 1)
    x = torch.randn(*lead, n_in, generator=g, dtype=torch.float64)
    s = alpha / r
    w = sd["base.weight"] + s * sd["lora_B"] @ sd["lora_A"]
    want = torch.nn.functional.linear(x, w, sd.get("base.bias"))
    y = m(x)
    torch.testing.assert_close(y, want)
    go = torch.randn(y.shape, generator=g, dtype=torch.float64)
    y.backward(go)
    X, G = x.reshape(-1, n_in), go.reshape(-1, n_out)   # (N, in), (N, out)
    # y = x Wᵀ + s·x Aᵀ Bᵀ  =>  dL/dB = s·Gᵀ (X Aᵀ),  dL/dA = s·Bᵀ Gᵀ X
    torch.testing.assert_close(m.lora_B.grad, s * G.T @ (X @ sd["lora_A"].T))
    torch.testing.assert_close(m.lora_A.grad, s * sd["lora_B"].T @ G.T @ X)
    assert m.base.weight.grad is None
    assert bias is False or m.base.bias.grad is None


def test_only_the_factors_are_trainable_and_have_the_documented_shapes():
    base = torch.nn.Linear(7, 5)
    m = REF.LoRALinear(base, r=3, alpha=6)
    assert m.base is base
    trainable = {n: p.shape for n, p in m.named_parameters() if p.requires_grad}
    assert trainable == {"lora_A": (3, 7), "lora_B": (5, 3)}
    assert sum(p.numel() for p in m.parameters() if p.requires_grad) == 3 * (7 + 5)
    assert set(m.state_dict()) == {"base.weight", "base.bias", "lora_A", "lora_B"}
    assert m.scale == 2.0


def test_init_b_zero_a_kaiming_uniform_bound():
    n_in = 64
    m = REF.LoRALinear(torch.nn.Linear(n_in, 10), r=8, alpha=16)
    assert torch.count_nonzero(m.lora_B) == 0
    a = m.lora_A.detach()
    assert a.abs().max() <= 1 / math.sqrt(n_in) and a.abs().max() > 0.5 / math.sqrt(n_in)
    x = torch.randn(4, n_in)
    torch.testing.assert_close(m(x), m.base(x))


@pytest.mark.parametrize("dtype", [torch.float64, torch.bfloat16])
def test_factors_follow_the_base_dtype_and_output_keeps_it(dtype):
    m = REF.LoRALinear(torch.nn.Linear(4, 3, dtype=dtype), r=2, alpha=4)
    assert m.lora_A.dtype == dtype and m.lora_B.dtype == dtype
    assert m(torch.randn(2, 4, dtype=dtype)).dtype == dtype


def test_merge_is_in_place_frozen_idempotent_and_reversible():
    m, sd = make(6, 4, 2, 8, seed=3)
    x = torch.randn(3, 6, dtype=torch.float64)
    before = m(x).detach()
    weight = m.base.weight
    m.merge()
    m.merge()
    assert m.merged and m.base.weight is weight and not weight.requires_grad
    torch.testing.assert_close(weight, sd["base.weight"] + 4.0 * sd["lora_B"] @ sd["lora_A"])
    torch.testing.assert_close(m(x), before)
    m.unmerge()
    m.unmerge()
    assert not m.merged
    torch.testing.assert_close(m.base.weight, sd["base.weight"])


def test_dropout_only_in_training_and_only_on_the_lora_input():
    torch.manual_seed(0)
    m, sd = make(5, 3, 2, 4, seed=4)
    m.dropout.p = 0.5
    x = torch.randn(200, 5, dtype=torch.float64)
    base = m.base(x)
    m.eval()
    branch = m(x) - base                          # no dropout in eval mode
    torch.testing.assert_close(branch, 4.0 / 2 * x @ sd["lora_A"].T @ sd["lora_B"].T)
    m.train()
    dropped = m(x) - base                         # the branch on dropout(x); base(x) untouched
    assert not torch.allclose(dropped, branch)
    # inverted dropout keeps the branch's expectation: the sums over many rows agree roughly
    assert (dropped.sum() - branch.sum()).abs() < 0.5 * branch.abs().sum()
