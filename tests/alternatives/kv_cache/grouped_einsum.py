"""Correct, differently written: GQA without materialising repeated keys (queries grouped
as (B, Hkv, group, T, hd) and einsum against (B, Hkv, S, hd)), an additive -inf mask,
softmax via .float() (Meta's idiom), and HF's rotate_half RoPE with cos/sin in x's dtype."""
import math

import torch


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def rope(x, positions, theta):
    hd = x.shape[-1]
    work = torch.float64 if x.dtype == torch.float64 else torch.float32
    inv_freq = 1.0 / theta ** (torch.arange(0, hd, 2, device=x.device).to(work) / hd)
    freqs = torch.outer(positions.to(work), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    return x * emb.cos().to(x.dtype) + rotate_half(x) * emb.sin().to(x.dtype)


class KVCache:
    def __init__(self, batch, n_kv_heads, max_len, head_dim, dtype=torch.float32, device=None):
        self.k = torch.zeros(batch, n_kv_heads, max_len, head_dim, dtype=dtype, device=device)
        self.v = torch.zeros(batch, n_kv_heads, max_len, head_dim, dtype=dtype, device=device)
        self.length = 0

    def update(self, k_new, v_new):
        end = self.length + k_new.shape[-2]
        if end > self.k.shape[-2]:
            raise ValueError("KV cache is full")
        idx = torch.arange(self.length, end, device=self.k.device)
        self.k.index_copy_(2, idx, k_new.to(self.k.dtype))
        self.v.index_copy_(2, idx, v_new.to(self.v.dtype))
        self.length = end
        return self.k[..., :end, :], self.v[..., :end, :]


def decode_step(x, cache, wq, wk, wv, wo, n_heads, theta=10000.0):
    B, T, D = x.shape
    hd = wq.shape[0] // n_heads
    n_kv = wk.shape[0] // hd
    g = n_heads // n_kv
    q = torch.einsum("btd,od->bto", x, wq).reshape(B, T, n_kv, g, hd).permute(0, 2, 3, 1, 4)  # (B, Hkv, g, T, hd)
    k = torch.einsum("btd,od->bto", x, wk).reshape(B, T, n_kv, hd).permute(0, 2, 1, 3)       # (B, Hkv, T, hd)
    v = torch.einsum("btd,od->bto", x, wv).reshape(B, T, n_kv, hd).permute(0, 2, 1, 3)
    p0 = cache.length
    pos = torch.arange(p0, p0 + T, device=x.device)
    q, k = rope(q, pos, theta), rope(k, pos, theta)
    k_all, v_all = cache.update(k, v)
    S = k_all.shape[-2]
    scores = torch.einsum("bhgtd,bhsd->bhgts", q, k_all) / math.sqrt(hd)
    bias = torch.zeros(T, S, device=x.device)
    bias = bias.masked_fill(torch.arange(S, device=x.device)[None] > pos[:, None], float("-inf"))
    w = (scores.float() + bias).softmax(dim=-1).type_as(v_all)
    out = torch.einsum("bhgts,bhsd->bhgtd", w, v_all)             # (B, Hkv, g, T, hd)
    out = out.permute(0, 3, 1, 2, 4).reshape(B, T, n_heads * hd)  # head h = kv_head * g + j
    return torch.einsum("bto,do->btd", out, wo)
