"""Correct, differently written: Hugging Face LLaMA's idioms (rotate_half with a cat(freqs, freqs)
cos/sin table, repeat_kv by expand + reshape, the norm weight applied before the cast back),
einsum for the attention, and an additive -inf bias for the causal mask."""
import torch
from torch import nn


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Norm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.variance_epsilon = eps

    def forward(self, x):
        h = x.float() if x.dtype != torch.float64 else x
        h = h * (h.square().mean(-1, keepdim=True) + self.variance_epsilon).rsqrt()
        return (self.weight.to(h.dtype) * h).to(x.dtype)


class SelfAttention(nn.Module):
    def __init__(self, d_model, n_heads, n_kv_heads, theta):
        super().__init__()
        self.h, self.g, self.d = n_heads, n_kv_heads, d_model // n_heads
        self.q_proj = nn.Linear(d_model, n_heads * self.d, bias=False)
        self.k_proj = nn.Linear(d_model, n_kv_heads * self.d, bias=False)
        self.v_proj = nn.Linear(d_model, n_kv_heads * self.d, bias=False)
        self.o_proj = nn.Linear(n_heads * self.d, d_model, bias=False)
        self.register_buffer("inv_freq", 1.0 / theta ** (torch.arange(0, self.d, 2).double() / self.d),
                             persistent=False)

    def forward(self, x):
        B, L, _ = x.shape
        q = self.q_proj(x).reshape(B, L, self.h, self.d)
        k = self.k_proj(x).reshape(B, L, self.g, self.d)
        v = self.v_proj(x).reshape(B, L, self.g, self.d)
        wide = torch.float64 if x.dtype == torch.float64 else torch.float32
        freqs = torch.arange(L, device=x.device, dtype=wide)[:, None] * self.inv_freq.to(wide)
        emb = torch.cat((freqs, freqs), dim=-1)[:, None, :]                  # (L, 1, d)
        cos, sin = emb.cos(), emb.sin()
        q = (q.to(wide) * cos + rotate_half(q.to(wide)) * sin).to(x.dtype)
        k = (k.to(wide) * cos + rotate_half(k.to(wide)) * sin).to(x.dtype)
        r = self.h // self.g
        k = k[:, :, :, None].expand(B, L, self.g, r, self.d).reshape(B, L, self.h, self.d)
        v = v[:, :, :, None].expand(B, L, self.g, r, self.d).reshape(B, L, self.h, self.d)
        s = torch.einsum("bihd,bjhd->bhij", q, k).to(wide) * self.d ** -0.5
        bias = torch.full((L, L), float("-inf"), device=x.device, dtype=wide).triu(1)
        p = (s + bias).softmax(-1).to(v.dtype)
        y = torch.einsum("bhij,bjhd->bihd", p, v).reshape(B, L, self.h * self.d)
        return self.o_proj(y)


class FeedForward(nn.Module):
    def __init__(self, d_model, d_ff):
        super().__init__()
        self.w_gate = nn.Linear(d_model, d_ff, bias=False)
        self.w_up = nn.Linear(d_model, d_ff, bias=False)
        self.w_down = nn.Linear(d_ff, d_model, bias=False)

    def forward(self, x):
        g = self.w_gate(x)
        return self.w_down(g * torch.sigmoid(g) * self.w_up(x))


class DecoderBlock(nn.Module):
    def __init__(self, d_model, n_heads, d_ff, n_kv_heads=None, eps=1e-6, theta=10000.0):
        super().__init__()
        self.attn_norm = Norm(d_model, eps)
        self.attn = SelfAttention(d_model, n_heads, n_kv_heads or n_heads, theta)
        self.mlp_norm = Norm(d_model, eps)
        self.mlp = FeedForward(d_model, d_ff)

    def forward(self, x):
        residual = x
        x = residual + self.attn(self.attn_norm(x))
        return x + self.mlp(self.mlp_norm(x))
