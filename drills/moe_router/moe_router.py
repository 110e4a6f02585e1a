"""Mixture of experts: top-k routing, a load-balancing loss, and the sparse forward.

Write two things.

1. `MoERouter(d_model, n_experts, top_k)` (n_experts >= 2, 1 <= top_k <= n_experts), an
   nn.Module whose only parameter is `gate = nn.Linear(d_model, n_experts, bias=False)`
   (weight shape (n_experts, d_model)).
   forward(x) with x of shape (T, d_model) (T tokens; callers flatten batch and sequence)
   returns the tuple (weights, experts, aux_loss):

       probs   = softmax(gate(x), over the experts)                  (T, n_experts)
       experts = the top_k experts of each token by probability     (T, top_k)  int64
                 in decreasing order of probability (torch.topk's order)
       weights = probs of those experts, renormalised to sum to 1    (T, top_k)  x's dtype
                 per token (Mixtral-style); weights[t, j] belongs to experts[t, j]

   (The softmax over just the top_k logits gives the same weights, and is fine.)

   aux_loss, a 0-dim tensor in x's dtype: the Switch Transformer load-balancing loss,
   generalised to top_k slots:

       aux_loss = n_experts * sum over experts e of  f_e * P_e
       f_e = (number of (token, slot) pairs routed to e) / (T * top_k)
             the fraction of all T * top_k assignments that go to expert e (a count: no gradient)
       P_e = mean over the T tokens of probs[:, e]
             the full softmax probability, before top-k

   Perfectly balanced routing (every expert gets T * top_k / n_experts assignments) gives
   aux_loss = 1 exactly, whatever the probabilities; top_k = n_experts always does.

2. `moe_forward(x, router, w1, w2)`: the sparse MoE layer. x (T, d_model); router a
   MoERouter (call router(x) and use ITS weights and experts); expert weights
       w1  (n_experts, d_ff, d_model)      w2  (n_experts, d_model, d_ff)
   Expert e maps a token vector v (d_model,) to  w2[e] @ silu(w1[e] @ v)  (d_model,).
   Returns (T, d_model), in x's dtype:
       out[t] = sum over j < top_k of  weights[t, j] * expert_{experts[t, j]}(x[t])
   Only the chosen experts run on a token. A loop over the experts, each processing the
   tokens routed to it at once, is the usual way; a Python loop over tokens is too slow
   for real sizes (and fine for the grader).

Inputs are float32 or float64; the grader loads the gate weights with
load_state_dict({"gate.weight": ...}) and moves the router to x's dtype and device.
Random inputs are used, so ties between experts do not occur. New tensors go on x's
device. Do not modify the inputs in place. Everything in torch (topk, softmax, one_hot,
bincount, index_add_, scatter...) may be used.

Example (d_model = 2, n_experts = 3, top_k = 2):
    gate.weight = [[1, 0], [0, 1], [-1, -1]]
    x = [[1, 0], [0, 2]]        -> gate logits [[1, 0, -1], [0, 2, -2]]
    probs   ≈ [[0.6652, 0.2447, 0.0900], [0.1173, 0.8668, 0.0159]]
    experts = [[0, 1], [1, 0]]
    weights ≈ [[0.7311, 0.2689], [0.8808, 0.1192]]       (e.g. 0.6652 / (0.6652 + 0.2447))
    f = [2/4, 2/4, 0/4],  P ≈ [0.3913, 0.5558, 0.0530]
    aux_loss = 3 * (0.5 * 0.3913 + 0.5 * 0.5558) ≈ 1.4206
"""
import torch
from torch import nn


class MoERouter(nn.Module):
    def __init__(self, d_model: int, n_experts: int, top_k: int):
        super().__init__()
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        raise NotImplementedError


def moe_forward(x: torch.Tensor, router: MoERouter, w1: torch.Tensor, w2: torch.Tensor) -> torch.Tensor:
    raise NotImplementedError
