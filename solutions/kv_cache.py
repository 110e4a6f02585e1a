"""Reference: a preallocated KV cache and one cached attention step (RoPE, GQA).

Decoding appends each new chunk's keys and values to buffers allocated once, and the new
queries attend over everything cached so far. The two subtle parts are the offsets: a
chunk's tokens sit at positions cache.length .. cache.length + T - 1 (for RoPE and for the
causal mask), and query t of the chunk may see cache positions 0 .. cache.length + t.

Left out on purpose: batches whose rows have different lengths (per-row lengths and a
padding mask), paged or block caches (vLLM), sliding-window eviction, quantised caches,
biases and dropout.
"""
import math

import torch


def apply_rope(x, positions, theta=10000.0):
    """Rotate-half RoPE (HF LLaMA), angles in float32. x (..., T, hd), positions (T,)."""
    hd = x.shape[-1]
    work = torch.promote_types(x.dtype, torch.float32)
    inv_freq = theta ** (-torch.arange(0, hd, 2, dtype=work, device=x.device) / hd)  # (hd/2,)
    angles = positions.to(work)[:, None] * inv_freq  # (T, hd/2)
    cos, sin = angles.cos(), angles.sin()
    a, b = x[..., : hd // 2].to(work), x[..., hd // 2:].to(work)
    return torch.cat((a * cos - b * sin, a * sin + b * cos), dim=-1).to(x.dtype)


class KVCache:
    def __init__(self, batch, n_kv_heads, max_len, head_dim, dtype=torch.float32, device=None):
        # allocated once: decoding only ever writes into these two buffers
        self.k = torch.zeros(batch, n_kv_heads, max_len, head_dim, dtype=dtype, device=device)  # (B, Hkv, S_max, hd)
        self.v = torch.zeros_like(self.k)
        self.length = 0  # positions 0 .. length-1 are filled

    def update(self, k_new, v_new):
        # k_new, v_new (B, Hkv, T, hd): the next T positions
        T = k_new.shape[2]
        start, end = self.length, self.length + T
        max_len = self.k.shape[2]
        if end > max_len:
            # subtle: check first. Slicing past the end does not raise in torch; a (.., 1, ..)
            # chunk even broadcasts into the empty slice and nothing is written at all
            raise ValueError(f"KV cache overflow: {start} cached + {T} new positions > max_len {max_len}")
        self.k[:, :, start:end] = k_new
        self.v[:, :, start:end] = v_new
        self.length = end
        return self.k[:, :, :end], self.v[:, :, :end]  # views of the buffers, (B, Hkv, end, hd)


def decode_step(x, cache, wq, wk, wv, wo, n_heads, theta=10000.0):
    B, T, _ = x.shape
    hd = wq.shape[0] // n_heads
    n_kv_heads = wk.shape[0] // hd
    q = (x @ wq.T).view(B, T, n_heads, hd).transpose(1, 2)      # (B, H, T, hd)
    k = (x @ wk.T).view(B, T, n_kv_heads, hd).transpose(1, 2)   # (B, Hkv, T, hd)
    v = (x @ wv.T).view(B, T, n_kv_heads, hd).transpose(1, 2)   # (B, Hkv, T, hd)

    start = cache.length  # subtle: read it before update() advances it
    positions = torch.arange(start, start + T, device=x.device)  # (T,)
    q, k = apply_rope(q, positions, theta), apply_rope(k, positions, theta)
    k_all, v_all = cache.update(k, v)  # (B, Hkv, S, hd), S = start + T; keys cached after RoPE
    S = k_all.shape[2]

    # GQA: query head h reads kv head h // group (heads of one group are adjacent)
    group = n_heads // n_kv_heads
    k_all = k_all.repeat_interleave(group, dim=1)  # (B, H, S, hd)
    v_all = v_all.repeat_interleave(group, dim=1)  # (B, H, S, hd)

    scores = q @ k_all.transpose(-2, -1) / math.sqrt(hd)  # (B, H, T, S)
    # query t is at position start + t: it may see keys 0 .. start + t (bottom-right aligned)
    allowed = torch.ones(T, S, dtype=torch.bool, device=x.device).tril(diagonal=start)  # (T, S)
    scores = scores.masked_fill(~allowed, float("-inf"))
    weights = torch.softmax(scores, dim=-1, dtype=torch.promote_types(scores.dtype, torch.float32))
    out = weights.to(v_all.dtype) @ v_all  # (B, H, T, hd)
    out = out.transpose(1, 2).reshape(B, T, n_heads * hd)  # heads side by side again
    return out @ wo.T  # (B, T, d_model)
