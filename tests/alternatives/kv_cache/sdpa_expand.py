"""Correct, differently written: narrow().copy_() into the buffers, F.linear projections,
expand+reshape for GQA (same layout as repeat_interleave), and torch's SDPA with an explicit
boolean mask built from positions."""
import torch
import torch.nn.functional as F


def apply_rope(x, positions, theta=10000.0):
    hd = x.shape[-1]
    work = torch.promote_types(x.dtype, torch.float32)
    inv_freq = theta ** (-torch.arange(0, hd, 2, dtype=work, device=x.device) / hd)
    angles = positions.to(work)[:, None] * inv_freq
    cos, sin = angles.cos(), angles.sin()
    a, b = x[..., : hd // 2].to(work), x[..., hd // 2:].to(work)
    return torch.cat((a * cos - b * sin, a * sin + b * cos), dim=-1).to(x.dtype)


class KVCache:
    def __init__(self, batch, n_kv_heads, max_len, head_dim, dtype=torch.float32, device=None):
        self.max_len = max_len
        self.k = torch.empty((batch, n_kv_heads, max_len, head_dim), dtype=dtype, device=device)
        self.v = torch.empty((batch, n_kv_heads, max_len, head_dim), dtype=dtype, device=device)
        self.length = 0

    def update(self, k_new, v_new):
        n = k_new.size(2)
        if self.length + n > self.max_len:
            raise ValueError(f"cache full: cannot add {n} to {self.length} (max_len={self.max_len})")
        self.k.narrow(2, self.length, n).copy_(k_new)
        self.v.narrow(2, self.length, n).copy_(v_new)
        self.length += n
        return self.k.narrow(2, 0, self.length), self.v.narrow(2, 0, self.length)


def decode_step(x, cache, wq, wk, wv, wo, n_heads, theta=10000.0):
    B, T, _ = x.shape
    hd = wq.size(0) // n_heads
    kvh = wk.size(0) // hd
    rep = n_heads // kvh
    q = F.linear(x, wq).unflatten(-1, (n_heads, hd)).transpose(1, 2)
    k = F.linear(x, wk).unflatten(-1, (kvh, hd)).transpose(1, 2)
    v = F.linear(x, wv).unflatten(-1, (kvh, hd)).transpose(1, 2)
    pos = cache.length + torch.arange(T, device=x.device)
    q, k = apply_rope(q, pos, theta), apply_rope(k, pos, theta)
    keys, values = cache.update(k, v)
    S = keys.size(2)
    keys = keys[:, :, None].expand(B, kvh, rep, S, hd).reshape(B, n_heads, S, hd)
    values = values[:, :, None].expand(B, kvh, rep, S, hd).reshape(B, n_heads, S, hd)
    mask = torch.arange(S, device=x.device)[None, :] <= pos[:, None]  # (T, S)
    out = F.scaled_dot_product_attention(q, keys, values, attn_mask=mask)
    return F.linear(out.transpose(1, 2).flatten(2), wo)
