"""Correct, differently written: the absorbed-weights form used at inference. Scores against the
latent c_kv directly (k_up folded into the query: q_nope·(W_uk c) = (W_ukᵀ q_nope)·c), and the
values mixed as latents before v_up (Σ p·(W_uv c) = W_uv (Σ p·c)); per-head keys and values are
never materialised. einsum throughout."""
import torch
from torch import nn


def rope(x, theta):
    L, d = x.shape[-2:]
    wide = torch.float64 if x.dtype == torch.float64 else torch.float32
    inv = 1.0 / theta ** (torch.arange(0, d, 2, device=x.device, dtype=wide) / d)
    ang = torch.einsum("l,f->lf", torch.arange(L, device=x.device, dtype=wide), inv)
    cos, sin = torch.cat((ang.cos(), ang.cos()), -1), torch.cat((ang.sin(), ang.sin()), -1)
    xw = x.to(wide)
    rot = torch.cat((-xw[..., d // 2:], xw[..., : d // 2]), -1)
    return (xw * cos + rot * sin).to(x.dtype)


class MultiHeadLatentAttention(nn.Module):
    def __init__(self, d_model, n_heads, d_c, d_nope, d_rope, d_v, theta=10000.0):
        super().__init__()
        self.h, self.dn, self.dr, self.dv, self.dc, self.theta = n_heads, d_nope, d_rope, d_v, d_c, theta
        self.q_proj = nn.Linear(d_model, n_heads * (d_nope + d_rope), bias=False)
        self.kv_down = nn.Linear(d_model, d_c, bias=False)
        self.k_up = nn.Linear(d_c, n_heads * d_nope, bias=False)
        self.v_up = nn.Linear(d_c, n_heads * d_v, bias=False)
        self.k_rope = nn.Linear(d_model, d_rope, bias=False)
        self.o_proj = nn.Linear(n_heads * d_v, d_model, bias=False)

    def forward(self, x):
        B, L, _ = x.shape
        q = self.q_proj(x).view(B, L, self.h, self.dn + self.dr)
        q_nope, q_rope = q.split([self.dn, self.dr], dim=-1)                  # (B, L, H, .)
        q_rope = rope(q_rope.transpose(1, 2), self.theta)                      # (B, H, L, dr)
        c = self.kv_down(x)                                                    # (B, L, dc)
        w_uk = self.k_up.weight.view(self.h, self.dn, self.dc)                 # (H, dn, dc)
        w_uv = self.v_up.weight.view(self.h, self.dv, self.dc)                 # (H, dv, dc)
        q_lat = torch.einsum("blhn,hnc->bhlc", q_nope, w_uk)                   # query in latent space
        k_r = rope(self.k_rope(x), self.theta)                                 # (B, L, dr)
        s = torch.einsum("bhlc,bmc->bhlm", q_lat, c) + torch.einsum("bhlr,bmr->bhlm", q_rope, k_r)
        s = s * (self.dn + self.dr) ** -0.5
        keep = torch.ones(L, L, dtype=torch.bool, device=x.device).tril()
        s = s.masked_fill(~keep, float("-inf"))
        wide = torch.float64 if s.dtype == torch.float64 else torch.float32
        p = s.to(wide).softmax(-1).to(x.dtype)
        mixed = torch.einsum("bhlm,bmc->bhlc", p, c)                           # latents mixed first
        y = torch.einsum("bhlc,hvc->blhv", mixed, w_uv).reshape(B, L, self.h * self.dv)
        return self.o_proj(y)


def mla_cache_values_per_token(n_layers, d_c, d_rope):
    return (d_c + d_rope) * n_layers


def mha_cache_values_per_token(n_layers, n_heads, head_dim):
    return gqa_cache_values_per_token(n_layers, n_heads, head_dim)


def gqa_cache_values_per_token(n_layers, n_kv_heads, head_dim):
    return 2 * n_kv_heads * head_dim * n_layers
