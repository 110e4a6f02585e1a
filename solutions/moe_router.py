"""Reference: a top-k softmax router with a load-balancing loss, and the sparse MoE forward.

Left out on purpose: expert capacity and token dropping (Switch/GShard), the router
z-loss (ST-MoE), noisy or jittered gating, shared experts (DeepSeekMoE), expert
parallelism (all-to-all dispatch across devices), and the gated w3 projection of
SwiGLU experts (Mixtral's experts are w2 @ (silu(w1 @ x) * (w3 @ x))).
"""
import torch
import torch.nn.functional as F
from torch import nn


class MoERouter(nn.Module):

    def __init__(self, d_model, n_experts, top_k):
        super().__init__()
        assert 1 <= top_k <= n_experts
        self.n_experts = n_experts
        self.top_k = top_k
        self.gate = nn.Linear(d_model, n_experts, bias=False)   # weight (n_experts, d_model)

    def forward(self, x):
        # x (T, d_model)
        T = x.shape[0]
        probs = torch.softmax(self.gate(x), dim=-1)             # (T, E)
        top_probs, experts = torch.topk(probs, self.top_k, dim=-1)   # (T, k) each, decreasing
        # Mixtral-style: the chosen experts' probabilities, renormalised to sum to 1 per token
        weights = top_probs / top_probs.sum(dim=-1, keepdim=True)    # (T, k)

        # load balancing (Switch Transformer, over all T * k assignments)
        # f: fraction of assignments per expert, a count (no gradient)
        counts = torch.zeros(self.n_experts, dtype=x.dtype, device=x.device)
        counts.index_add_(0, experts.flatten(), torch.ones(T * self.top_k, dtype=x.dtype, device=x.device))
        f = counts / (T * self.top_k)                            # (E,), sums to 1
        # subtle: P uses the FULL softmax (before top-k); it is the only differentiable factor
        P = probs.mean(dim=0)                                    # (E,), sums to 1
        aux_loss = self.n_experts * (f * P).sum()                # 1 when f is uniform
        return weights, experts, aux_loss


def moe_forward(x, router, w1, w2):
    # x (T, d_model), w1 (E, d_ff, d_model), w2 (E, d_model, d_ff)
    weights, experts, _ = router(x)                              # (T, k), (T, k)
    out = torch.zeros_like(x)                                    # (T, d_model)
    for e in range(w1.shape[0]):
        # subtle: take the slot together with the token, so each token's weight for THIS expert
        # is used (a token appears at most once per expert)
        token, slot = torch.where(experts == e)                  # (n_e,), (n_e,)
        if token.numel() == 0:
            continue
        h = F.silu(x[token] @ w1[e].T)                           # (n_e, d_ff)
        y = h @ w2[e].T                                          # (n_e, d_model)
        out = out.index_add(0, token, weights[token, slot].unsqueeze(-1) * y)
    return out
