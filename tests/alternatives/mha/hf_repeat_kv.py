"""Correct, differently written: HF-style repeat_kv (expand + reshape), an additive float
bias built from the boolean mask, the whole attention upcast to float32 for half inputs,
NaN rows cleaned with nan_to_num."""
import math

import torch
from torch import nn


def repeat_kv(t, n_rep):
    # (B, G, L, hd) -> (B, G*n_rep, L, hd), each kv head copied to n_rep consecutive slots
    B, G, L, hd = t.shape
    if n_rep == 1:
        return t
    return t[:, :, None].expand(B, G, n_rep, L, hd).reshape(B, G * n_rep, L, hd)


class MultiHeadAttention(nn.Module):

    def __init__(self, d_model, n_heads, n_kv_heads=None, bias=False):
        super().__init__()
        self.num_heads = n_heads
        self.num_kv = n_heads if n_kv_heads is None else n_kv_heads
        self.head_dim = d_model // n_heads
        self.q_proj = nn.Linear(d_model, n_heads * self.head_dim, bias=bias)
        self.k_proj = nn.Linear(d_model, self.num_kv * self.head_dim, bias=bias)
        self.v_proj = nn.Linear(d_model, self.num_kv * self.head_dim, bias=bias)
        self.o_proj = nn.Linear(n_heads * self.head_dim, d_model, bias=bias)

    def forward(self, x, kv=None, mask=None, causal=False):
        if kv is None:
            kv = x
        bsz, q_len, _ = x.size()
        kv_len = kv.size(1)
        q = self.q_proj(x).view(bsz, q_len, -1, self.head_dim).permute(0, 2, 1, 3)
        k = self.k_proj(kv).view(bsz, kv_len, -1, self.head_dim).permute(0, 2, 1, 3)
        v = self.v_proj(kv).view(bsz, kv_len, -1, self.head_dim).permute(0, 2, 1, 3)
        k = repeat_kv(k, self.num_heads // self.num_kv)
        v = repeat_kv(v, self.num_heads // self.num_kv)
        work = torch.promote_types(x.dtype, torch.float32)
        scores = torch.matmul(q.to(work), k.to(work).transpose(2, 3)) / math.sqrt(self.head_dim)
        bias = torch.zeros(q_len, kv_len, dtype=work, device=x.device)
        if causal:
            pos_q = torch.arange(kv_len - q_len, kv_len, device=x.device)
            bias = bias.masked_fill(pos_q[:, None] < torch.arange(kv_len, device=x.device), float("-inf"))
        if mask is not None:
            bias = bias + torch.zeros(mask.shape, dtype=work, device=x.device).masked_fill(~mask, float("-inf"))
        attn = torch.softmax(scores + bias, dim=-1).nan_to_num(0.0)
        out = torch.matmul(attn, v.to(work)).to(x.dtype)
        out = out.permute(0, 2, 1, 3).contiguous().view(bsz, q_len, self.num_heads * self.head_dim)
        return self.o_proj(out)
