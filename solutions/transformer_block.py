"""Reference: a pre-norm LLaMA-style decoder block.

    h   = x + attn(attn_norm(x))
    out = h + mlp(mlp_norm(h))

attn is causal self-attention with rotary positions (rotate-half, positions 0..L-1) and
grouped-query heads; mlp is SwiGLU; both norms are RMSNorm. The four pieces are the
rmsnorm, rope, mha and swiglu drills, wired together.

Left out on purpose: a KV cache and position offsets (the kv_cache drill), padding masks,
dropout, fused qkv / gate-up projections, tensor parallelism, and what a whole model adds
around its blocks (embedding, final norm, LM head).
"""
import math

import torch
import torch.nn.functional as F
from torch import nn


class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))  # (dim,)

    def forward(self, x):
        # x (..., dim); reduce in float32 at least (fp16 x² overflows past |x| = 256)
        xf = x.to(torch.promote_types(x.dtype, torch.float32))
        y = xf * torch.rsqrt(xf.pow(2).mean(dim=-1, keepdim=True) + self.eps)
        return y.to(x.dtype) * self.weight


def apply_rope(x, theta):
    """Rotate-half RoPE at positions 0..L-1. x (B, H, L, hd), hd even; angles in float32 at least."""
    L, hd = x.shape[-2], x.shape[-1]
    work = torch.promote_types(x.dtype, torch.float32)
    inv_freq = theta ** (-torch.arange(0, hd, 2, dtype=work, device=x.device) / hd)  # (hd/2,)
    angles = torch.arange(L, dtype=work, device=x.device)[:, None] * inv_freq        # (L, hd/2)
    cos, sin = angles.cos(), angles.sin()
    a, b = x[..., : hd // 2].to(work), x[..., hd // 2:].to(work)  # pairs (x[i], x[i + hd/2])
    return torch.cat((a * cos - b * sin, a * sin + b * cos), dim=-1).to(x.dtype)


class Attention(nn.Module):
    def __init__(self, d_model, n_heads, n_kv_heads, theta):
        super().__init__()
        self.n_heads, self.n_kv_heads, self.theta = n_heads, n_kv_heads, theta
        self.head_dim = d_model // n_heads
        self.q_proj = nn.Linear(d_model, n_heads * self.head_dim, bias=False)
        self.k_proj = nn.Linear(d_model, n_kv_heads * self.head_dim, bias=False)
        self.v_proj = nn.Linear(d_model, n_kv_heads * self.head_dim, bias=False)
        self.o_proj = nn.Linear(n_heads * self.head_dim, d_model, bias=False)

    def forward(self, x):
        B, L, _ = x.shape
        H, G, hd = self.n_heads, self.n_kv_heads, self.head_dim
        q = self.q_proj(x).view(B, L, H, hd).transpose(1, 2)   # (B, H, L, hd)
        k = self.k_proj(x).view(B, L, G, hd).transpose(1, 2)   # (B, G, L, hd)
        v = self.v_proj(x).view(B, L, G, hd).transpose(1, 2)   # (B, G, L, hd)
        # positions enter only here: rotate queries and keys, never values
        q, k = apply_rope(q, self.theta), apply_rope(k, self.theta)
        # subtle: kv head g serves the consecutive query heads g*H/G ... (g+1)*H/G - 1
        k = k.repeat_interleave(H // G, dim=1)                 # (B, H, L, hd)
        v = v.repeat_interleave(H // G, dim=1)                 # (B, H, L, hd)
        scores = q @ k.transpose(-2, -1) / math.sqrt(hd)       # (B, H, L, L)
        future = torch.ones(L, L, dtype=torch.bool, device=x.device).triu(1)
        scores = scores.masked_fill(future, float("-inf"))     # token i sees j <= i
        weights = torch.softmax(scores, dim=-1, dtype=torch.promote_types(scores.dtype, torch.float32))
        y = weights.to(v.dtype) @ v                            # (B, H, L, hd)
        return self.o_proj(y.transpose(1, 2).reshape(B, L, H * hd))  # (B, L, d_model)


class SwiGLU(nn.Module):
    def __init__(self, d_model, d_ff):
        super().__init__()
        self.w_gate = nn.Linear(d_model, d_ff, bias=False)
        self.w_up = nn.Linear(d_model, d_ff, bias=False)
        self.w_down = nn.Linear(d_ff, d_model, bias=False)

    def forward(self, x):
        return self.w_down(F.silu(self.w_gate(x)) * self.w_up(x))  # (..., d_ff) -> (..., d_model)


class DecoderBlock(nn.Module):
    def __init__(self, d_model, n_heads, d_ff, n_kv_heads=None, eps=1e-6, theta=10000.0):
        super().__init__()
        n_kv_heads = n_heads if n_kv_heads is None else n_kv_heads
        assert d_model % n_heads == 0 and (d_model // n_heads) % 2 == 0, "head_dim must be an even integer"
        assert n_heads % n_kv_heads == 0, "n_heads must be a multiple of n_kv_heads"
        self.attn_norm = RMSNorm(d_model, eps)
        self.attn = Attention(d_model, n_heads, n_kv_heads, theta)
        self.mlp_norm = RMSNorm(d_model, eps)  # subtle: its own weight, not attn_norm's
        self.mlp = SwiGLU(d_model, d_ff)

    def forward(self, x):
        # x (B, L, d_model). Pre-norm: each sub-layer sees a normalised copy, while the
        # residual stream carries the UN-normalised sum, so the block's identity path is exact
        h = x + self.attn(self.attn_norm(x))
        return h + self.mlp(self.mlp_norm(h))     # (B, L, d_model)
