"""KV cache for incremental decoding.

Write a preallocated key/value cache and one attention step that uses it, so that a
model can decode chunk by chunk (a prompt, then one token at a time) and get exactly what
one causal forward pass over the whole sequence would give.

1. class KVCache
   KVCache(batch, n_kv_heads, max_len, head_dim, dtype=torch.float32, device=None)
       Allocates, once, two buffers of shape (batch, n_kv_heads, max_len, head_dim) with
       the given dtype and device, stored as the attributes `k` and `v`, and sets
       `length = 0` (a Python int: the number of positions cached so far).
       `cache.k` and `cache.v` keep that full shape for the cache's whole life: write into
       them in place, never replace them (no torch.cat).
   update(k_new, v_new) -> (k_all, v_all)
       k_new, v_new: (batch, n_kv_heads, T, head_dim), the next T positions (T >= 1).
       Writes them at positions length .. length+T-1 of the buffers, advances `length`
       by T, and returns the keys and values of ALL cached positions so far:
       k_all, v_all of shape (batch, n_kv_heads, length, head_dim) (the new length).
       If length + T > max_len, raise ValueError, before writing anything: the cache
       stays exactly as it was.

2. decode_step(x, cache, wq, wk, wv, wo, n_heads, theta=10000.0) -> (B, T, d_model)
   One grouped-query self-attention step over a chunk of T new tokens.
       x      (B, T, d_model)        the chunk (T = whole prompt, or 1 while decoding)
       cache  a KVCache holding the earlier positions of these sequences
       wq     (n_heads * hd, d_model)       nn.Linear weights, (out, in): q = x @ wq.T
       wk, wv (n_kv_heads * hd, d_model)    no biases anywhere
       wo     (d_model, n_heads * hd)
   head_dim hd = wq.shape[0] // n_heads and n_kv_heads = wk.shape[0] // hd; n_heads is a
   multiple of n_kv_heads.
   - Heads: view x @ wq.T, of shape (B, T, n_heads * hd), as (B, T, n_heads, hd) (head h is
     channels h*hd .. (h+1)*hd - 1), then move heads forward to (B, n_heads, T, hd).
     Keys and values likewise with n_kv_heads.
   - Positions: the chunk's tokens sit at positions p0 .. p0+T-1, where p0 = cache.length
     before this step (0 for the first chunk). Apply RoPE to q and k at those positions,
     with `apply_rope` below (rotate-half convention, already written for you).
   - Cache: store the ROTATED keys and the values with cache.update; attend over all it
     returns (S = p0 + T positions).
   - GQA: query head h uses kv head h // (n_heads // n_kv_heads) (the heads of a group
     are adjacent: repeat_interleave on the head dim, not repeat).
   - Attention: softmax(q kᵀ / √hd) v, causal: query t (at position p0 + t) may attend to
     cache positions 0 .. p0 + t, so within a multi-token chunk it must not see the
     chunk's later tokens.
   - Output: heads back side by side, (B, T, n_heads * hd), times wo.T -> (B, T, d_model),
     in x's dtype (the cache is created with x's dtype).
   The cache (and so every output) must not depend on how the sequence was split into
   chunks: prefill + one token at a time == any chunking == one pass over everything.

Allowed: anything from torch, including torch.nn.functional.scaled_dot_product_attention
with an explicit boolean attn_mask (True = may attend). Beware its is_causal=True: it
aligns the triangle to the top-left corner, which is wrong once the cache is non-empty.
Do not modify the inputs in place. The spec calls update() itself, reads cache.k, cache.v
and cache.length, and calls decode_step with caches of your own KVCache class. KVCache is
graded in float32 and bfloat16 (it only copies), decode_step in float32 and float64.

Example (d_model = head_dim = 2, one head, identity weights, theta = 10000):
    I = torch.eye(2); x = torch.tensor([[[1., 0.], [0., 1.]]])      # B=1, T=2
    cache = KVCache(1, 1, 4, 2)
    decode_step(x, cache, I, I, I, I, 1)   # ≈ [[[1.0, 0.0], [0.2138, 0.7862]]], cache.length == 2
    # token 1 (position 1) has q = k = rope([0, 1], 1) = [-0.8415, 0.5403]; its scores over
    # keys [1, 0] and [-0.8415, 0.5403] are [-0.8415, 1] / √2 -> weights [0.2138, 0.7862]
    # over the values [1, 0] and [0, 1] (values are not rotated).
    # Decoding the same x one token at a time gives the same two rows.
    cache = KVCache(1, 1, 4, 2); cache.update(torch.ones(1, 1, 3, 2), torch.ones(1, 1, 3, 2))
    cache.update(torch.ones(1, 1, 2, 2), torch.ones(1, 1, 2, 2))   # ValueError: 3 + 2 > 4
"""
import torch


def apply_rope(x: torch.Tensor, positions: torch.Tensor, theta: float = 10000.0) -> torch.Tensor:
    """Rotate-half RoPE (given, use as is). x (..., T, hd) with hd even; positions (T,) ints.

    Pair (x[i], x[i + hd/2]) at position p turns by p * theta^(-2i/hd); float32 angles.
    """
    hd = x.shape[-1]
    work = torch.promote_types(x.dtype, torch.float32)
    inv_freq = theta ** (-torch.arange(0, hd, 2, dtype=work, device=x.device) / hd)
    angles = positions.to(work)[:, None] * inv_freq  # (T, hd/2)
    cos, sin = angles.cos(), angles.sin()
    a, b = x[..., : hd // 2].to(work), x[..., hd // 2:].to(work)
    return torch.cat((a * cos - b * sin, a * sin + b * cos), dim=-1).to(x.dtype)


class KVCache:
    def __init__(self, batch: int, n_kv_heads: int, max_len: int, head_dim: int,
                 dtype: torch.dtype = torch.float32, device: torch.device | str | None = None):
        raise NotImplementedError

    def update(self, k_new: torch.Tensor, v_new: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError


def decode_step(x: torch.Tensor, cache: KVCache, wq: torch.Tensor, wk: torch.Tensor, wv: torch.Tensor,
                wo: torch.Tensor, n_heads: int, theta: float = 10000.0) -> torch.Tensor:
    raise NotImplementedError
