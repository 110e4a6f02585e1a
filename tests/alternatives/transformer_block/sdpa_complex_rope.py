"""Correct, differently written: nn.RMSNorm, RoPE as complex multiplication (rotate-half pairs
become the real and imaginary parts), and torch's SDPA with is_causal and enable_gqa."""
import torch
import torch.nn.functional as F
from torch import nn


class Attention(nn.Module):
    def __init__(self, d_model, n_heads, n_kv_heads, theta):
        super().__init__()
        self.n_heads, self.n_kv_heads, self.theta = n_heads, n_kv_heads, theta
        hd = d_model // n_heads
        self.q_proj = nn.Linear(d_model, n_heads * hd, bias=False)
        self.k_proj = nn.Linear(d_model, n_kv_heads * hd, bias=False)
        self.v_proj = nn.Linear(d_model, n_kv_heads * hd, bias=False)
        self.o_proj = nn.Linear(n_heads * hd, d_model, bias=False)

    def rotate(self, x):
        # x (B, h, L, hd): pair (x[i], x[i + hd/2]) as the complex number x[i] + 1j·x[i + hd/2]
        L, hd = x.shape[-2:]
        wide = torch.float64 if x.dtype == torch.float64 else torch.float32
        freqs = 1.0 / self.theta ** (torch.arange(hd // 2, device=x.device, dtype=wide) * 2 / hd)
        turn = torch.polar(torch.ones(L, hd // 2, device=x.device, dtype=wide),
                           torch.outer(torch.arange(L, device=x.device, dtype=wide), freqs))
        z = torch.complex(x[..., : hd // 2].to(wide), x[..., hd // 2:].to(wide)) * turn
        return torch.cat((z.real, z.imag), dim=-1).to(x.dtype)

    def forward(self, x):
        B, L, D = x.shape
        q = self.q_proj(x).unflatten(-1, (self.n_heads, -1)).transpose(1, 2)
        k = self.k_proj(x).unflatten(-1, (self.n_kv_heads, -1)).transpose(1, 2)
        v = self.v_proj(x).unflatten(-1, (self.n_kv_heads, -1)).transpose(1, 2)
        y = F.scaled_dot_product_attention(self.rotate(q), self.rotate(k), v, is_causal=True, enable_gqa=True)
        return self.o_proj(y.transpose(1, 2).flatten(2))


class MLP(nn.Module):
    def __init__(self, d_model, d_ff):
        super().__init__()
        self.w_gate = nn.Linear(d_model, d_ff, bias=False)
        self.w_up = nn.Linear(d_model, d_ff, bias=False)
        self.w_down = nn.Linear(d_ff, d_model, bias=False)

    def forward(self, x):
        return self.w_down(F.silu(self.w_gate(x)) * self.w_up(x))


class DecoderBlock(nn.Module):
    def __init__(self, d_model, n_heads, d_ff, n_kv_heads=None, eps=1e-6, theta=10000.0):
        super().__init__()
        self.attn_norm = nn.RMSNorm(d_model, eps=eps)
        self.attn = Attention(d_model, n_heads, n_kv_heads or n_heads, theta)
        self.mlp_norm = nn.RMSNorm(d_model, eps=eps)
        self.mlp = MLP(d_model, d_ff)

    def forward(self, x):
        x = x + self.attn(self.attn_norm(x))
        return x + self.mlp(self.mlp_norm(x))
