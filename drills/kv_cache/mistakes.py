"""Classic wrong answers to the KV-cache drill; each must fail the spec.

`_Cache` and `_decode` are the reference with one knob per mistake.
"""
import math

import torch

from grader.props import mistake


def _rope(x, positions, theta):
    hd = x.shape[-1]
    work = torch.promote_types(x.dtype, torch.float32)
    inv_freq = theta ** (-torch.arange(0, hd, 2, dtype=work, device=x.device) / hd)
    angles = positions.to(work)[:, None] * inv_freq
    cos, sin = angles.cos(), angles.sin()
    a, b = x[..., : hd // 2].to(work), x[..., hd // 2:].to(work)
    return torch.cat((a * cos - b * sin, a * sin + b * cos), dim=-1).to(x.dtype)


class _Cache:
    def __init__(self, batch, n_kv_heads, max_len, head_dim, dtype=torch.float32, device=None):
        self.k = torch.zeros(batch, n_kv_heads, max_len, head_dim, dtype=dtype, device=device)
        self.v = torch.zeros_like(self.k)
        self.length = 0

    def _check(self, T):
        if self.length + T > self.k.shape[2]:
            raise ValueError("KV cache overflow")

    def update(self, k_new, v_new):
        self._check(k_new.shape[2])
        start, end = self.length, self.length + k_new.shape[2]
        self.k[:, :, start:end] = k_new
        self.v[:, :, start:end] = v_new
        self.length = end
        return self.k[:, :, :end], self.v[:, :, :end]


def _decode(x, cache, wq, wk, wv, wo, n_heads, theta=10000.0, *, mask="offset", positions="continue",
            repeat="interleave"):
    B, T, _ = x.shape
    hd = wq.shape[0] // n_heads
    n_kv = wk.shape[0] // hd
    q = (x @ wq.T).view(B, T, n_heads, hd).transpose(1, 2)
    k = (x @ wk.T).view(B, T, n_kv, hd).transpose(1, 2)
    v = (x @ wv.T).view(B, T, n_kv, hd).transpose(1, 2)
    start = cache.length
    first = start if positions == "continue" else 0
    pos = torch.arange(first, first + T, device=x.device)
    q, k = _rope(q, pos, theta), _rope(k, pos, theta)
    k_all, v_all = cache.update(k, v)
    S, group = k_all.shape[2], n_heads // n_kv
    if repeat == "interleave":
        k_all, v_all = k_all.repeat_interleave(group, dim=1), v_all.repeat_interleave(group, dim=1)
    else:
        k_all, v_all = k_all.repeat(1, group, 1, 1), v_all.repeat(1, group, 1, 1)
    scores = q @ k_all.transpose(-2, -1) / math.sqrt(hd)  # (B, H, T, S)
    if mask != "none":
        allowed = torch.ones(T, S, dtype=torch.bool, device=x.device).tril(diagonal=start if mask == "offset" else 0)
        scores = scores.masked_fill(~allowed, float("-inf"))
    w = torch.softmax(scores, dim=-1, dtype=torch.promote_types(scores.dtype, torch.float32)).to(v_all.dtype)
    return (w @ v_all).transpose(1, 2).reshape(B, T, n_heads * hd) @ wo.T


# --- the cache -------------------------------------------------------------------------
@mistake("cache_indexed_on_head_axis", "update writes and slices dim 1 (heads) instead of dim 2 (positions)",
         entry="KVCache",
         explain="The buffers are (B, n_kv_heads, max_len, hd): positions are dim 2, so self.k[:, :, a:b]. "
                 "self.k[:, a:b] is Meta LLaMA's indexing for its (B, max_len, n_kv_heads, hd) layout; on "
                 "this layout it selects heads (and broadcasting can even make it run).")
class HeadAxisCache(_Cache):
    def update(self, k_new, v_new):
        self._check(k_new.shape[2])
        start, end = self.length, self.length + k_new.shape[2]
        self.k[:, start:end] = k_new
        self.v[:, start:end] = v_new
        self.length = end
        return self.k[:, :end], self.v[:, :end]


@mistake("update_returns_only_new", "update returns only the new keys/values, not everything cached",
         entry="KVCache",
         explain="The new queries must attend over every cached position: return "
                 "self.k[:, :, :length] (after the write), not k_new.")
class NewOnlyCache(_Cache):
    def update(self, k_new, v_new):
        super().update(k_new, v_new)
        return k_new, v_new


@mistake("length_not_advanced", "cache.length is never advanced: every chunk overwrites position 0..T-1",
         entry="KVCache",
         explain="After writing T positions, length += T; otherwise the next chunk overwrites them, and RoPE "
                 "positions restart at 0.")
class StuckCache(_Cache):
    def update(self, k_new, v_new):
        self._check(k_new.shape[2])
        end = self.length + k_new.shape[2]
        self.k[:, :, self.length:end] = k_new
        self.v[:, :, self.length:end] = v_new
        return self.k[:, :, :end], self.v[:, :, :end]


@mistake("no_bounds_check", "no check against max_len: writing past the end does not raise ValueError",
         entry="KVCache",
         explain="Slicing past the end of a tensor does not raise: buf[:, :, 8:9] of a max_len=8 buffer is "
                 "empty, a one-token chunk broadcasts into it, nothing is written and decoding silently "
                 "goes wrong (longer chunks fail with an unhelpful shape error). Check length + T <= max_len "
                 "first and raise ValueError.")
class UncheckedCache(_Cache):
    def _check(self, T):
        pass


# --- the attention step ----------------------------------------------------------------
@mistake("no_causal_mask_in_chunk", "no causal mask: tokens of a multi-token chunk see the chunk's later tokens",
         entry="decode_step",
         explain="With one token per step no mask is needed, but the prompt (prefill) and any chunk with T > 1 "
                 "must mask: query t may see cache positions 0 .. p0 + t only.")
def no_causal_mask(x, cache, wq, wk, wv, wo, n_heads, theta=10000.0):
    return _decode(x, cache, wq, wk, wv, wo, n_heads, theta, mask="none")


@mistake("causal_mask_not_offset", "causal mask not offset by the cache length (tril(T, S) aligned top-left)",
         entry="decode_step",
         explain="With p0 positions cached, the mask is (T, S = p0 + T) and query t may see keys 0 .. p0 + t: "
                 "tril(diagonal=p0), i.e. bottom-right aligned. Plain tril (and SDPA's is_causal=True when "
                 "T != S) hides the cache from the new tokens.")
def mask_not_offset(x, cache, wq, wk, wv, wo, n_heads, theta=10000.0):
    return _decode(x, cache, wq, wk, wv, wo, n_heads, theta, mask="top_left")


@mistake("rope_positions_restart",
         "RoPE positions restart at 0 for every chunk instead of continuing from cache.length", entry="decode_step",
         explain="The new token of a decoding step sits at position cache.length, not 0: positions = "
                 "arange(p0, p0 + T) with p0 read before update().")
def rope_restart(x, cache, wq, wk, wv, wo, n_heads, theta=10000.0):
    return _decode(x, cache, wq, wk, wv, wo, n_heads, theta, positions="restart")


@mistake("gqa_repeat_tiled",
         "GQA with repeat (tiling) instead of repeat_interleave: head h reads kv head h % n_kv_heads",
         entry="decode_step",
         explain="Query heads of one group are adjacent (LLaMA's repeat_kv): head h uses kv head "
                 "h // (n_heads // n_kv_heads), which is k.repeat_interleave(group, dim=1); k.repeat(1, group, 1, 1) "
                 "pairs head h with kv head h % n_kv_heads.")
def gqa_tiled(x, cache, wq, wk, wv, wo, n_heads, theta=10000.0):
    return _decode(x, cache, wq, wk, wv, wo, n_heads, theta, repeat="tile")
