"""Reference: multi-head attention with grouped-query (GQA) and multi-query (MQA) variants.

One module covers self-attention (kv defaults to x), cross-attention (kv of another
length), a boolean mask and a causal mask whose queries are the last Lq positions.

Left out on purpose: dropout, rotary/absolute positions, a KV cache, packed qkv
projections and fused kernels (SDPA / FlashAttention): the point is the head bookkeeping.
"""
import math

import torch
import torch.nn as nn


class MultiHeadAttention(nn.Module):

    def __init__(self, d_model, n_heads, n_kv_heads=None, bias=False):
        super().__init__()
        n_kv_heads = n_heads if n_kv_heads is None else n_kv_heads
        assert d_model % n_heads == 0, "d_model must be divisible by n_heads"
        assert n_heads % n_kv_heads == 0, "n_heads must be divisible by n_kv_heads"
        self.n_heads = n_heads
        self.n_kv_heads = n_kv_heads
        self.head_dim = d_model // n_heads
        self.q_proj = nn.Linear(d_model, n_heads * self.head_dim, bias=bias)
        self.k_proj = nn.Linear(d_model, n_kv_heads * self.head_dim, bias=bias)
        self.v_proj = nn.Linear(d_model, n_kv_heads * self.head_dim, bias=bias)
        self.o_proj = nn.Linear(n_heads * self.head_dim, d_model, bias=bias)

    def forward(self, x, kv=None, mask=None, causal=False):
        kv = x if kv is None else kv
        B, Lq, _ = x.shape
        Lk = kv.shape[1]
        H, G, hd = self.n_heads, self.n_kv_heads, self.head_dim

        # project, then split the last dim into heads and move heads before length
        q = self.q_proj(x).view(B, Lq, H, hd).transpose(1, 2)   # (B, H, Lq, hd)
        k = self.k_proj(kv).view(B, Lk, G, hd).transpose(1, 2)  # (B, G, Lk, hd)
        v = self.v_proj(kv).view(B, Lk, G, hd).transpose(1, 2)  # (B, G, Lk, hd)
        # subtle: kv head g serves the H // G *consecutive* query heads g*(H//G) ... (g+1)*(H//G)-1,
        # so copy each kv head in place (repeat_interleave), not the whole stack (repeat)
        k = k.repeat_interleave(H // G, dim=1)                  # (B, H, Lk, hd)
        v = v.repeat_interleave(H // G, dim=1)                  # (B, H, Lk, hd)

        allowed = mask  # bool, broadcastable to (B, H, Lq, Lk); True = may attend
        if causal:
            # subtle: the queries are the LAST Lq of the Lk positions, so query i sits at
            # position i + (Lk - Lq) and may see keys j <= i + (Lk - Lq)
            i = torch.arange(Lq, device=x.device)[:, None]
            j = torch.arange(Lk, device=x.device)[None, :]
            visible = j <= i + (Lk - Lq)                         # (Lq, Lk)
            allowed = visible if allowed is None else allowed & visible

        scores = q @ k.transpose(-2, -1) / math.sqrt(hd)        # (B, H, Lq, Lk)
        if allowed is not None:
            scores = scores.masked_fill(~allowed, float("-inf"))
        # softmax in float32 at least: fp16 exp overflows long before fp32 does
        weights = torch.softmax(scores, dim=-1, dtype=torch.promote_types(scores.dtype, torch.float32))
        if allowed is not None:
            # subtle: a row with no allowed key is softmax(-inf, ..., -inf) = NaN; the contract says 0
            weights = weights.masked_fill(~allowed.any(dim=-1, keepdim=True), 0.0)
        y = weights.to(v.dtype) @ v                              # (B, H, Lq, hd)

        # merge heads back: (B, H, Lq, hd) -> (B, Lq, H, hd) -> (B, Lq, H*hd)
        y = y.transpose(1, 2).reshape(B, Lq, H * hd)
        return self.o_proj(y)                                    # (B, Lq, d_model)
