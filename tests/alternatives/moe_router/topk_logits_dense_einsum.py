"""Correct, differently written: top-k on the logits then a softmax over the k chosen logits
(Mixtral's code), f from bincount, and a dense forward that runs every expert on every
token with einsum and gathers the chosen ones."""
import torch
import torch.nn.functional as F
from torch import nn


class MoERouter(nn.Module):
    def __init__(self, d_model, n_experts, top_k):
        super().__init__()
        self.n_experts, self.top_k = n_experts, top_k
        self.gate = nn.Linear(d_model, n_experts, bias=False)

    def forward(self, x):
        logits = self.gate(x)
        top_logits, experts = logits.topk(self.top_k, dim=-1)
        weights = F.softmax(top_logits, dim=-1)
        counts = torch.bincount(experts.reshape(-1), minlength=self.n_experts).to(x.dtype)
        f = counts / experts.numel()
        P = F.softmax(logits, dim=-1).mean(0)
        return weights, experts, self.n_experts * torch.dot(f, P)


def moe_forward(x, router, w1, w2):
    weights, experts, _ = router(x)
    h = F.silu(torch.einsum("efd,td->tef", w1, x))          # (T, E, d_ff): every expert, every token
    y = torch.einsum("edf,tef->ted", w2, h)                 # (T, E, d_model)
    chosen = y.gather(1, experts.unsqueeze(-1).expand(-1, -1, y.shape[-1]))   # (T, k, d_model)
    return (weights.unsqueeze(-1) * chosen).sum(1)
