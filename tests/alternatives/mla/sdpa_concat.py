"""Correct, differently written: MLA as ordinary multi-head attention. Each head's key is
[k_nope_h, k_rope] (the shared rotary key expanded over heads), its query [q_nope_h, q_rope_h],
and torch's SDPA (whose default scale is 1/√(d_nope + d_rope)) does the rest."""
import torch
import torch.nn.functional as F
from torch import nn


class MultiHeadLatentAttention(nn.Module):
    def __init__(self, d_model, n_heads, d_c, d_nope, d_rope, d_v, theta=10000.0):
        super().__init__()
        self.n_heads, self.d_nope, self.d_rope, self.d_v, self.theta = n_heads, d_nope, d_rope, d_v, theta
        self.q_proj = nn.Linear(d_model, n_heads * (d_nope + d_rope), bias=False)
        self.kv_down = nn.Linear(d_model, d_c, bias=False)
        self.k_up = nn.Linear(d_c, n_heads * d_nope, bias=False)
        self.v_up = nn.Linear(d_c, n_heads * d_v, bias=False)
        self.k_rope = nn.Linear(d_model, d_rope, bias=False)
        self.o_proj = nn.Linear(n_heads * d_v, d_model, bias=False)

    def rotate(self, t):
        L, d = t.shape[-2:]
        wide = torch.float64 if t.dtype == torch.float64 else torch.float32
        freqs = self.theta ** (-torch.arange(d // 2, device=t.device, dtype=wide) * 2 / d)
        z = torch.complex(t[..., : d // 2].to(wide), t[..., d // 2:].to(wide))
        z = z * torch.polar(torch.ones(L, d // 2, device=t.device, dtype=wide),
                            torch.arange(L, device=t.device, dtype=wide)[:, None] * freqs)
        return torch.cat((z.real, z.imag), -1).to(t.dtype)

    def forward(self, x):
        B, L, _ = x.shape
        H = self.n_heads
        q = self.q_proj(x).unflatten(-1, (H, -1)).transpose(1, 2)
        q = torch.cat((q[..., : self.d_nope], self.rotate(q[..., self.d_nope:])), -1)
        c = self.kv_down(x)
        k_nope = self.k_up(c).unflatten(-1, (H, -1)).transpose(1, 2)
        k_r = self.rotate(self.k_rope(x)).unsqueeze(1).expand(B, H, L, self.d_rope)
        k = torch.cat((k_nope, k_r), -1)
        v = self.v_up(c).unflatten(-1, (H, -1)).transpose(1, 2)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.o_proj(y.transpose(1, 2).flatten(2))


def mla_cache_values_per_token(n_layers, d_c, d_rope):
    return n_layers * d_c + n_layers * d_rope


def mha_cache_values_per_token(n_layers, n_heads, head_dim):
    return 2 * n_layers * n_heads * head_dim


def gqa_cache_values_per_token(n_layers, n_kv_heads, head_dim):
    return n_layers * (n_kv_heads * head_dim) * 2
