"""Correct, differently written: queries grouped as (B, G, r, Lq, hd) so kv heads are never
copied; einsum; q scaled before the product; finfo.min fill; LLaMA-style `.float()` softmax;
a persistent buffer (allowed: only parameters are fixed by the prompt)."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class MultiHeadAttention(nn.Module):

    def __init__(self, d_model, n_heads, n_kv_heads=None, bias=False):
        super().__init__()
        self.h = n_heads
        self.g = n_kv_heads or n_heads
        self.hd = d_model // n_heads
        self.q_proj = nn.Linear(d_model, self.h * self.hd, bias=bias)
        self.k_proj = nn.Linear(d_model, self.g * self.hd, bias=bias)
        self.v_proj = nn.Linear(d_model, self.g * self.hd, bias=bias)
        self.o_proj = nn.Linear(self.h * self.hd, d_model, bias=bias)
        self.register_buffer("inv_sqrt_hd", torch.tensor(self.hd ** -0.5))

    def forward(self, x, kv=None, mask=None, causal=False):
        src = x if kv is None else kv
        B, Lq, _ = x.shape
        Lk = src.shape[1]
        r = self.h // self.g
        q = self.q_proj(x).reshape(B, Lq, self.g, r, self.hd) * self.inv_sqrt_hd.to(x.dtype)
        k = self.k_proj(src).reshape(B, Lk, self.g, self.hd)
        v = self.v_proj(src).reshape(B, Lk, self.g, self.hd)
        s = torch.einsum("bqgrd,bkgd->bgrqk", q, k).reshape(B, self.h, Lq, Lk)
        keep = torch.ones(Lq, Lk, dtype=torch.bool, device=x.device)
        if causal:
            keep = keep.tril(diagonal=Lk - Lq)
        if mask is not None:
            keep = keep & mask
        keep = keep.expand(B, self.h, Lq, Lk)
        s = s.masked_fill(~keep, torch.finfo(s.dtype).min)
        p = F.softmax(s.float(), dim=-1).type_as(s)
        p = torch.where(keep.any(-1, keepdim=True), p, torch.zeros_like(p))
        y = torch.einsum("bgrqk,bkgd->bqgrd", p.reshape(B, self.g, r, Lq, Lk), v)
        return self.o_proj(y.reshape(B, Lq, self.h * self.hd))
