"""Reference: DeepSeek-V2-style multi-head latent attention (MLA), and KV-cache sizes.

Keys and values are not projected from x per head: x is compressed to one small latent
c_kv per token, and each head's key (the "nope" part) and value are up-projected from it.
Position goes through a separate, decoupled RoPE part: one rotary key per token, shared
by every head, and a rotary slice of each head's query. A cache then holds only c_kv and
the rotary key: d_c + d_rope numbers per token and layer.

Left out on purpose: DeepSeek's low-rank query path (q_a_proj / q_a_layernorm / q_b_proj)
and the RMSNorm on c_kv, the fused kv_a_proj_with_mqa weight, YaRN rope scaling, the KV
cache itself and the absorbed-weights inference path (see the follow-up questions).
"""
import math

import torch
from torch import nn


def apply_rope(x, theta):
    """Rotate-half RoPE at positions 0..L-1. x (..., L, d) with d even; angles in float32 at least."""
    L, d = x.shape[-2], x.shape[-1]
    work = torch.promote_types(x.dtype, torch.float32)
    inv_freq = theta ** (-torch.arange(0, d, 2, dtype=work, device=x.device) / d)  # (d/2,)
    angles = torch.arange(L, dtype=work, device=x.device)[:, None] * inv_freq      # (L, d/2)
    cos, sin = angles.cos(), angles.sin()
    a, b = x[..., : d // 2].to(work), x[..., d // 2:].to(work)
    return torch.cat((a * cos - b * sin, a * sin + b * cos), dim=-1).to(x.dtype)


class MultiHeadLatentAttention(nn.Module):
    def __init__(self, d_model, n_heads, d_c, d_nope, d_rope, d_v, theta=10000.0):
        super().__init__()
        assert d_rope % 2 == 0, "d_rope must be even"
        self.n_heads, self.d_nope, self.d_rope, self.d_v, self.theta = n_heads, d_nope, d_rope, d_v, theta
        self.q_proj = nn.Linear(d_model, n_heads * (d_nope + d_rope), bias=False)  # per head [nope | rope]
        self.kv_down = nn.Linear(d_model, d_c, bias=False)           # x -> latent c_kv (cached)
        self.k_up = nn.Linear(d_c, n_heads * d_nope, bias=False)      # c_kv -> per-head k_nope
        self.v_up = nn.Linear(d_c, n_heads * d_v, bias=False)         # c_kv -> per-head v
        self.k_rope = nn.Linear(d_model, d_rope, bias=False)          # x -> ONE rotary key (cached)
        self.o_proj = nn.Linear(n_heads * d_v, d_model, bias=False)

    def forward(self, x):
        B, L, _ = x.shape
        H, dn, dr, dv = self.n_heads, self.d_nope, self.d_rope, self.d_v
        # subtle: the split into nope and rope is per head, after the head view
        q = self.q_proj(x).view(B, L, H, dn + dr).transpose(1, 2)     # (B, H, L, dn + dr)
        q_nope, q_rope = q[..., :dn], apply_rope(q[..., dn:], self.theta)
        c_kv = self.kv_down(x)                                        # (B, L, d_c)
        k_nope = self.k_up(c_kv).view(B, L, H, dn).transpose(1, 2)    # (B, H, L, dn), no RoPE
        v = self.v_up(c_kv).view(B, L, H, dv).transpose(1, 2)         # (B, H, L, dv)
        # subtle: one rotary key per token, broadcast over heads (an MQA-style key)
        k_rope = apply_rope(self.k_rope(x), self.theta)[:, None]      # (B, 1, L, dr)

        scores = (q_nope @ k_nope.transpose(-2, -1) + q_rope @ k_rope.transpose(-2, -1))
        scores = scores / math.sqrt(dn + dr)                          # (B, H, L, L); the whole q·k dim
        future = torch.ones(L, L, dtype=torch.bool, device=x.device).triu(1)
        scores = scores.masked_fill(future, float("-inf"))
        weights = torch.softmax(scores, dim=-1, dtype=torch.promote_types(scores.dtype, torch.float32))
        y = weights.to(v.dtype) @ v                                   # (B, H, L, dv)
        return self.o_proj(y.transpose(1, 2).reshape(B, L, H * dv))   # (B, L, d_model)


def mla_cache_values_per_token(n_layers, d_c, d_rope):
    # the latent c_kv and the shared rotary key; K and V are recomputed from c_kv
    return n_layers * (d_c + d_rope)


def mha_cache_values_per_token(n_layers, n_heads, head_dim):
    # a key and a value per head
    return n_layers * 2 * n_heads * head_dim


def gqa_cache_values_per_token(n_layers, n_kv_heads, head_dim):
    # a key and a value per kv head; the query heads of a group share them
    return n_layers * 2 * n_kv_heads * head_dim
