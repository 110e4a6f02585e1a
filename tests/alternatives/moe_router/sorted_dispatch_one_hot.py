"""Correct, differently written: weights and experts re-sorted together after a full sort,
f and P through a one-hot tensor, and a dispatch that sorts the assignments by expert
(the layout grouped-GEMM kernels use) and scatters the results back."""
import torch
import torch.nn.functional as F
from torch import nn


class MoERouter(nn.Module):
    def __init__(self, d_model, n_experts, top_k):
        super().__init__()
        self.n_experts, self.top_k = n_experts, top_k
        self.gate = nn.Linear(d_model, n_experts, bias=False)

    def forward(self, x):
        probs = self.gate(x).softmax(dim=-1)
        sorted_probs, order = probs.sort(dim=-1, descending=True)
        top, experts = sorted_probs[:, :self.top_k], order[:, :self.top_k]
        weights = top / top.sum(dim=-1, keepdim=True)
        one_hot = F.one_hot(experts, self.n_experts).to(x.dtype)      # (T, k, E)
        f = one_hot.mean(dim=(0, 1))
        P = probs.mean(dim=0)
        return weights, experts, (f * P).sum() * self.n_experts


def moe_forward(x, router, w1, w2):
    weights, experts, _ = router(x)
    T, k = experts.shape
    flat_experts = experts.reshape(-1)                      # (T*k,)
    flat_tokens = torch.arange(T, device=x.device).repeat_interleave(k)
    order = flat_experts.argsort(stable=True)
    counts = torch.bincount(flat_experts, minlength=w1.shape[0]).tolist()
    outputs = []
    start = 0
    for e, n in enumerate(counts):
        idx = order[start:start + n]
        start += n
        xs = x[flat_tokens[idx]]
        outputs.append(torch.matmul(F.silu(torch.matmul(xs, w1[e].transpose(0, 1))), w2[e].transpose(0, 1)))
    y = torch.cat(outputs) * weights.reshape(-1)[order].unsqueeze(-1)
    out = torch.zeros_like(x)
    return out.index_add(0, flat_tokens[order], y)
