"""Classic wrong answers to the multi-head attention drill; each must fail the spec.

`_Correct` is a correct module written as small steps; each mistake overrides one step.
"""
import math

import torch
import torch.nn as nn

from grader.props import mistake


class _Correct(nn.Module):

    def __init__(self, d_model, n_heads, n_kv_heads=None, bias=False):
        super().__init__()
        self.d_model, self.n_heads = d_model, n_heads
        self.n_kv_heads = n_heads if n_kv_heads is None else n_kv_heads
        self.head_dim = d_model // n_heads
        self.q_proj = nn.Linear(d_model, n_heads * self.head_dim, bias=bias)
        self.k_proj = nn.Linear(d_model, self.n_kv_heads * self.head_dim, bias=bias)
        self.v_proj = nn.Linear(d_model, self.n_kv_heads * self.head_dim, bias=bias)
        self.o_proj = nn.Linear(n_heads * self.head_dim, d_model, bias=bias)

    def split(self, t, n):                       # (B, L, n*hd) -> (B, n, L, hd)
        B, L, _ = t.shape
        return t.view(B, L, n, self.head_dim).transpose(1, 2)

    def merge(self, y):                          # (B, H, L, hd) -> (B, L, H*hd)
        B, H, L, hd = y.shape
        return y.transpose(1, 2).reshape(B, L, H * hd)

    def expand(self, t):                         # (B, G, L, hd) -> (B, H, L, hd)
        return t.repeat_interleave(self.n_heads // self.n_kv_heads, dim=1)

    def scale(self):
        return math.sqrt(self.head_dim)

    def visible(self, Lq, Lk, device):          # (Lq, Lk) bool
        i = torch.arange(Lq, device=device)[:, None]
        j = torch.arange(Lk, device=device)[None, :]
        return j <= i + (Lk - Lq)

    def allowed(self, mask, causal, Lq, Lk, device):
        if causal:
            vis = self.visible(Lq, Lk, device)
            return vis if mask is None else mask & vis
        return mask

    def attend(self, q, k, v, allowed):
        scores = q @ k.transpose(-2, -1) / self.scale()
        if allowed is not None:
            scores = scores.masked_fill(~allowed, float("-inf"))
        w = torch.softmax(scores.float(), dim=-1)
        if allowed is not None:
            w = w.masked_fill(~allowed.any(-1, keepdim=True), 0.0)
        return w.to(v.dtype) @ v

    def out(self, y):
        return self.o_proj(y)

    def forward(self, x, kv=None, mask=None, causal=False):
        kv = x if kv is None else kv
        q = self.split(self.q_proj(x), self.n_heads)
        k = self.expand(self.split(self.k_proj(kv), self.n_kv_heads))
        v = self.expand(self.split(self.v_proj(kv), self.n_kv_heads))
        allowed = self.allowed(mask, causal, x.shape[1], kv.shape[1], x.device)
        return self.out(self.merge(self.attend(q, k, v, allowed)))


@mistake("heads_not_transposed", "heads split with view(B, H, L, hd) and no transpose",
         entry="MultiHeadAttention",
         explain="q_proj(x) is (B, L, H*hd): view it as (B, L, H, hd) and THEN transpose(1, 2) to "
                 "(B, H, L, hd). Viewing it directly as (B, H, L, hd) mixes positions and heads; "
                 "merging back needs the reverse transpose before the reshape.")
class HeadsNotTransposed(_Correct):
    def split(self, t, n):
        B, L, _ = t.shape
        return t.view(B, n, L, self.head_dim)

    def merge(self, y):
        B, H, L, hd = y.shape
        return y.reshape(B, L, H * hd)


@mistake("scale_by_d_model", "scores divided by √d_model instead of √head_dim", entry="MultiHeadAttention",
         explain="Each head is its own attention over head_dim features, so its scores are q_h·k_h/√head_dim. "
                 "√d_model over-shrinks them by √n_heads and makes every head too uniform.")
class ScaleByDModel(_Correct):
    def scale(self):
        return math.sqrt(self.d_model)


@mistake("gqa_repeat_not_interleave", "kv heads expanded with repeat instead of repeat_interleave",
         entry="MultiHeadAttention",
         explain="k.repeat(1, r, 1, 1) tiles the kv heads [0, 1, 0, 1]: query head h gets kv head h % G. "
                 "The convention (LLaMA's repeat_kv) is [0, 0, 1, 1]: head h gets kv head h // r, r = n_heads // G. "
                 "Only visible when 1 < n_kv_heads < n_heads.")
class RepeatNotInterleave(_Correct):
    def expand(self, t):
        return t.repeat(1, self.n_heads // self.n_kv_heads, 1, 1)


@mistake("no_o_proj", "o_proj never applied to the concatenated heads", entry="MultiHeadAttention",
         explain="After concatenating the heads, the output projection mixes them: return o_proj(y).")
class NoOutputProjection(_Correct):
    def out(self, y):
        return y


@mistake("causal_not_offset", "causal mask aligned top-left (j <= i) instead of to the last Lq positions",
         entry="MultiHeadAttention",
         explain="With Lq < Lk (new tokens over a cache) query i is at position i + Lk - Lq, so it may see "
                 "keys j <= i + Lk - Lq; tril(ones(Lq, Lk)) hides keys it should see (and with Lq > Lk shows "
                 "ones it should not). Use tril(..., diagonal=Lk - Lq).")
class CausalNotOffset(_Correct):
    def visible(self, Lq, Lk, device):
        return torch.ones(Lq, Lk, dtype=torch.bool, device=device).tril()


@mistake("inverted_mask", "mask inverted: True treated as 'masked out'", entry="MultiHeadAttention",
         explain="In this drill (and torch's SDPA) True means the query MAY attend to the key; "
                 "torch.nn.MultiheadAttention's attn_mask uses the opposite convention.")
class InvertedMask(_Correct):
    def allowed(self, mask, causal, Lq, Lk, device):
        return super().allowed(None if mask is None else ~mask, causal, Lq, Lk, device)


@mistake("causal_replaces_mask", "with causal=True the given mask is ignored", entry="MultiHeadAttention",
         explain="The causal mask and the given mask both apply: a key is allowed only if both allow it (AND).")
class CausalReplacesMask(_Correct):
    def allowed(self, mask, causal, Lq, Lk, device):
        return self.visible(Lq, Lk, device) if causal else mask


@mistake("nan_on_fully_masked_rows", "a query with no allowed key gives NaN instead of zeros",
         entry="MultiHeadAttention",
         explain="softmax over a row that is all -inf is 0/0 = NaN; zero those rows of the weights "
                 "(or of the head outputs) before o_proj.")
class NanOnFullyMaskedRows(_Correct):
    def attend(self, q, k, v, allowed):
        scores = q @ k.transpose(-2, -1) / self.scale()
        if allowed is not None:
            scores = scores.masked_fill(~allowed, float("-inf"))
        return torch.softmax(scores.float(), dim=-1).to(v.dtype) @ v
