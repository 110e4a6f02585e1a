"""Correct, differently written: heads folded into the batch for bmm, the kv head of each
query head picked with index_select(arange(H) // r), o_proj through F.linear."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class MultiHeadAttention(nn.Module):

    def __init__(self, d_model, n_heads, n_kv_heads=None, bias=False):
        super().__init__()
        kvh = n_kv_heads if n_kv_heads is not None else n_heads
        hd = d_model // n_heads
        self.dims = (n_heads, kvh, hd)
        self.q_proj = nn.Linear(d_model, n_heads * hd, bias=bias)
        self.k_proj = nn.Linear(d_model, kvh * hd, bias=bias)
        self.v_proj = nn.Linear(d_model, kvh * hd, bias=bias)
        self.o_proj = nn.Linear(n_heads * hd, d_model, bias=bias)

    def forward(self, x, kv=None, mask=None, causal=False):
        H, G, hd = self.dims
        kv = x if kv is None else kv
        B, Lq, Lk = x.shape[0], x.shape[1], kv.shape[1]
        group = torch.arange(H, device=x.device) // (H // G)           # kv head of each query head
        q = self.q_proj(x).unflatten(-1, (H, hd)).transpose(1, 2)        # (B, H, Lq, hd)
        k = self.k_proj(kv).unflatten(-1, (G, hd)).transpose(1, 2).index_select(1, group)
        v = self.v_proj(kv).unflatten(-1, (G, hd)).transpose(1, 2).index_select(1, group)
        s = torch.bmm(q.reshape(B * H, Lq, hd), k.reshape(B * H, Lk, hd).transpose(1, 2))
        s = s.view(B, H, Lq, Lk) * (1.0 / hd ** 0.5)
        ok = None
        if mask is not None:
            ok = mask.expand(B, H, Lq, Lk)
        if causal:
            c = torch.arange(Lk, device=x.device)[None, :] - torch.arange(Lq, device=x.device)[:, None] <= Lk - Lq
            ok = c.expand(B, H, Lq, Lk) if ok is None else ok & c
        if ok is not None:
            s = s.masked_fill(~ok, float("-inf"))
        w = torch.softmax(s, dim=-1, dtype=torch.float32 if s.dtype in (torch.float16, torch.bfloat16) else s.dtype)
        if ok is not None:
            w = w * ok.any(-1, keepdim=True)                  # exact 0 rows ...
            w = torch.nan_to_num(w, nan=0.0)                  # ... and NaN * 0 = NaN cleaned
        y = torch.bmm(w.to(v.dtype).reshape(B * H, Lq, Lk), v.reshape(B * H, Lk, hd))
        y = y.view(B, H, Lq, hd).transpose(1, 2).reshape(B, Lq, H * hd)
        return F.linear(y, self.o_proj.weight, self.o_proj.bias)
