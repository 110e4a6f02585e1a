"""The MoE reference against independent formulations: routing and the aux loss token by
token in Python floats, the forward as a loop over tokens, the HF Mixtral form of the
load-balancing loss (top_k times this drill's), the prompt's worked example, and the
claims the spec relies on."""
import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.catalog import load_catalog
from grader.runner import load_module

REF = load_module(load_catalog().get("moe_router").solution_path, "test_ref_moe_router_solution")


def route_by_hand(x, W, k):
    """(weights, experts, aux) from Python floats: softmax, sort, renormalise, count."""
    T, E = x.shape[0], W.shape[0]
    logits = (x.double() @ W.double().T).tolist()
    weights, experts, counts, P = [], [], [0] * E, [0.0] * E
    for row in logits:
        m = max(row)
        z = sum(math.exp(v - m) for v in row)
        probs = [math.exp(v - m) / z for v in row]
        chosen = sorted(range(E), key=lambda e: -probs[e])[:k]
        s = sum(probs[e] for e in chosen)
        weights.append([probs[e] / s for e in chosen])
        experts.append(chosen)
        for e in chosen:
            counts[e] += 1
        for e in range(E):
            P[e] += probs[e] / T
    aux = E * sum(counts[e] / (T * k) * P[e] for e in range(E))
    return weights, experts, aux


def make(T, D, F_, E, k, seed, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    W = torch.randn(E, D, generator=g, dtype=dtype) / math.sqrt(D)
    x = torch.randn(T, D, generator=g, dtype=dtype)
    w1 = torch.randn(E, F_, D, generator=g, dtype=dtype) / math.sqrt(D)
    w2 = torch.randn(E, D, F_, generator=g, dtype=dtype) / math.sqrt(F_)
    router = REF.MoERouter(D, E, k).to(dtype)
    router.load_state_dict({"gate.weight": W})
    return router, W, x, w1, w2


@settings(max_examples=60, deadline=None, derandomize=True)
@given(T=st.integers(1, 9), D=st.integers(1, 7), F_=st.integers(1, 7), E=st.integers(2, 8), data=st.data(),
       seed=st.integers(0, 2**16))
def test_routing_and_aux_loss_equal_the_computation_by_hand(T, D, F_, E, data, seed):
    k = data.draw(st.integers(1, E))
    router, W, x, w1, w2 = make(T, D, F_, E, k, seed)
    weights, experts, aux = router(x)
    assert weights.shape == experts.shape == (T, k) and experts.dtype == torch.int64 and aux.shape == ()
    w_hand, e_hand, aux_hand = route_by_hand(x, W, k)
    assert experts.tolist() == e_hand
    torch.testing.assert_close(weights, torch.tensor(w_hand, dtype=torch.float64), rtol=1e-12, atol=1e-12)
    assert aux.item() == pytest.approx(aux_hand, rel=1e-12)
    # the forward, token by token
    out = REF.moe_forward(x, router, w1, w2)
    want = torch.zeros_like(x)
    for t in range(T):
        for j in range(k):
            e = e_hand[t][j]
            want[t] += w_hand[t][j] * (w2[e] @ F.silu(w1[e] @ x[t]))
    torch.testing.assert_close(out, want, rtol=1e-10, atol=1e-12)


def hf_mixtral_load_balancing_loss(gate_logits, num_experts, top_k):
    """transformers' load_balancing_loss_func (no attention mask), written from its definition."""
    routing_weights = F.softmax(gate_logits, dim=-1)
    _, selected_experts = torch.topk(routing_weights, top_k, dim=-1)
    expert_mask = F.one_hot(selected_experts, num_experts)                  # (T, k, E)
    tokens_per_expert = torch.mean(expert_mask.to(gate_logits.dtype), dim=0)  # (k, E)
    router_prob_per_expert = torch.mean(routing_weights, dim=0)             # (E,)
    return torch.sum(tokens_per_expert * router_prob_per_expert.unsqueeze(0)) * num_experts


@pytest.mark.parametrize("k", [1, 2, 3])
def test_aux_loss_is_hf_mixtral_loss_over_top_k(k):
    router, W, x, _, _ = make(11, 5, 3, 6, k, seed=k)
    aux = router(x)[2]
    hf = hf_mixtral_load_balancing_loss(x @ W.T, 6, k)
    torch.testing.assert_close(aux * k, hf)


def test_aux_loss_gradient_flows_only_through_p():
    router, W, x, _, _ = make(7, 5, 3, 4, 2, seed=3)
    _, experts, aux = router(x)
    aux.backward()
    W2 = W.clone().requires_grad_(True)
    probs = F.softmax(x @ W2.T, dim=-1)
    f = torch.bincount(experts.flatten(), minlength=4).double() / experts.numel()
    (4 * (f * probs.mean(0)).sum()).backward()
    torch.testing.assert_close(router.gate.weight.grad, W2.grad)


def test_worked_example_from_the_prompt():
    router = REF.MoERouter(2, 3, 2)
    router.load_state_dict({"gate.weight": torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]])})
    weights, experts, aux = router(torch.tensor([[1.0, 0.0], [0.0, 2.0]]))
    assert experts.tolist() == [[0, 1], [1, 0]]
    torch.testing.assert_close(weights, torch.tensor([[0.7311, 0.2689], [0.8808, 0.1192]]), atol=1e-4, rtol=0)
    assert aux.item() == pytest.approx(1.4206, abs=1e-4)
    assert weights[0, 0].item() == pytest.approx(0.6652 / (0.6652 + 0.2447), abs=1e-4)


@pytest.mark.parametrize("E,k,cycles", [(2, 1, 1), (4, 2, 2), (5, 3, 1), (6, 6, 1)])
def test_balanced_routing_and_all_experts_give_aux_one(E, k, cycles):
    T = cycles * E
    router = REF.MoERouter(E, E, k).double()
    router.load_state_dict({"gate.weight": torch.eye(E, dtype=torch.float64)})
    x = torch.full((T, E), -3.0, dtype=torch.float64) + 0.1 * torch.rand(T, E, dtype=torch.float64)
    for i in range(T):
        for j in range(k):
            x[i, (i + j) % E] += 6.0
    _, experts, aux = router(x)
    assert torch.bincount(experts.flatten(), minlength=E).tolist() == [cycles * k] * E
    assert aux.item() == pytest.approx(1.0, abs=1e-12)


def test_all_experts_is_the_softmax_mixture():
    router, W, x, w1, w2 = make(5, 4, 3, 6, 6, seed=9)
    probs = F.softmax(x @ W.T, dim=-1)
    want = sum(probs[:, e:e + 1] * (F.silu(x @ w1[e].T) @ w2[e].T) for e in range(6))
    torch.testing.assert_close(REF.moe_forward(x, router, w1, w2), want)
    assert router(x)[2].item() == pytest.approx(1.0, abs=1e-12)
