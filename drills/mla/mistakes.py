"""Classic wrong answers to the MLA drill; each must fail the spec.

`_MLA` is the reference with one knob (a class attribute) per mistake of the module; the
cache formulas are overridden one at a time.
"""
import math

import torch
from torch import nn

from grader.props import mistake


def _rope(x, theta):
    L, d = x.shape[-2], x.shape[-1]
    work = torch.promote_types(x.dtype, torch.float32)
    inv_freq = theta ** (-torch.arange(0, d, 2, dtype=work, device=x.device) / d)
    angles = torch.arange(L, dtype=work, device=x.device)[:, None] * inv_freq
    cos, sin = angles.cos(), angles.sin()
    a, b = x[..., : d // 2].to(work), x[..., d // 2:].to(work)
    return torch.cat((a * cos - b * sin, a * sin + b * cos), dim=-1).to(x.dtype)


class _MLA(nn.Module):
    rope_on_nope = False       # RoPE also on q_nope / k_nope (not decoupled)
    rope_key_per_head = False  # k_rope projects to n_heads * d_rope
    scale_nope_only = False
    causal = True
    split_before_heads = False  # q split into [all nope | all rope] before the head view

    def __init__(self, d_model, n_heads, d_c, d_nope, d_rope, d_v, theta=10000.0):
        super().__init__()
        self.H, self.dn, self.dr, self.dv, self.theta = n_heads, d_nope, d_rope, d_v, theta
        self.q_proj = nn.Linear(d_model, n_heads * (d_nope + d_rope), bias=False)
        self.kv_down = nn.Linear(d_model, d_c, bias=False)
        self.k_up = nn.Linear(d_c, n_heads * d_nope, bias=False)
        self.v_up = nn.Linear(d_c, n_heads * d_v, bias=False)
        self.k_rope = nn.Linear(d_model, (n_heads if self.rope_key_per_head else 1) * d_rope, bias=False)
        self.o_proj = nn.Linear(n_heads * d_v, d_model, bias=False)

    def forward(self, x):
        B, L, _ = x.shape
        H, dn, dr, dv = self.H, self.dn, self.dr, self.dv
        q = self.q_proj(x)
        if self.split_before_heads:
            q_nope = q[..., : H * dn].view(B, L, H, dn).transpose(1, 2)
            q_rope = q[..., H * dn:].view(B, L, H, dr).transpose(1, 2)
        else:
            q = q.view(B, L, H, dn + dr).transpose(1, 2)
            q_nope, q_rope = q[..., :dn], q[..., dn:]
        q_rope = _rope(q_rope, self.theta)
        c_kv = self.kv_down(x)
        k_nope = self.k_up(c_kv).view(B, L, H, dn).transpose(1, 2)
        v = self.v_up(c_kv).view(B, L, H, dv).transpose(1, 2)
        if self.rope_on_nope:
            q_nope, k_nope = _rope(q_nope, self.theta), _rope(k_nope, self.theta)
        k_rope = self.k_rope(x)
        if self.rope_key_per_head:
            k_rope = _rope(k_rope.view(B, L, H, dr).transpose(1, 2), self.theta)
        else:
            k_rope = _rope(k_rope, self.theta)[:, None]
        scores = q_nope @ k_nope.transpose(-2, -1) + q_rope @ k_rope.transpose(-2, -1)
        scores = scores / math.sqrt(dn if self.scale_nope_only else dn + dr)
        if self.causal:
            scores = scores.masked_fill(torch.ones(L, L, dtype=torch.bool, device=x.device).triu(1), float("-inf"))
        w = torch.softmax(scores, dim=-1, dtype=torch.promote_types(scores.dtype, torch.float32))
        return self.o_proj((w.to(v.dtype) @ v).transpose(1, 2).reshape(B, L, H * dv))


@mistake("rope_not_decoupled", "RoPE also applied to the up-projected keys k_nope (and q_nope)",
         entry="MultiHeadLatentAttention",
         explain="MLA keeps position out of the compressed path: k_nope = k_up(c_kv) is never rotated, and "
                 "position enters only through the separate q_rope·k_rope term. That is what lets inference "
                 "absorb k_up into the query (q_nope·W_uk c = (W_ukᵀ q_nope)·c): a position-dependent rotation "
                 "between them would block it.")
class MultiHeadLatentAttention(_MLA):
    rope_on_nope = True


@mistake("rope_key_per_head", "a rotary key per head (k_rope: d_model -> n_heads·d_rope) instead of one shared key",
         entry="MultiHeadLatentAttention",
         explain="The decoupled RoPE key is shared by all heads, like MQA's key: k_rope maps d_model -> d_rope and "
                 "is broadcast over the heads. One per head would multiply its cache share by n_heads.")
class RopeKeyPerHead(_MLA):
    rope_key_per_head = True


@mistake("scale_by_d_nope", "scores divided by √d_nope instead of √(d_nope + d_rope)",
         entry="MultiHeadLatentAttention",
         explain="Each score is a dot product over d_nope + d_rope features (the two parts together), so the "
                 "softmax temperature is √(d_nope + d_rope).")
class ScaleByDNope(_MLA):
    scale_nope_only = True


@mistake("no_causal_mask", "no causal mask: tokens attend to future tokens", entry="MultiHeadLatentAttention",
         explain="Token i may attend only to tokens j <= i: fill the scores above the diagonal with -inf.")
class NoCausalMask(_MLA):
    causal = False


@mistake("q_split_before_heads", "q split into [all heads' nope | all heads' rope] before the head view",
         entry="MultiHeadLatentAttention",
         explain="q_proj's output is per head: head h owns d_nope + d_rope consecutive features, its nope part "
                 "first. View as (B, L, H, d_nope + d_rope) first, then split the last dim.")
class QSplitBeforeHeads(_MLA):
    split_before_heads = True


@mistake("mla_cache_latent_twice", "MLA cache counted like MHA's K and V: the latent twice",
         entry="mla_cache_values_per_token",
         explain="MLA caches ONE latent c_kv per token and layer; both the keys and the values are "
                 "up-projected from it, so it counts once: n_layers·(d_c + d_rope).")
def mla_cache_latent_twice(n_layers, d_c, d_rope):
    return n_layers * (2 * d_c + d_rope)


@mistake("mla_cache_without_rope_key", "MLA cache without the shared rotary key (n_layers·d_c)",
         entry="mla_cache_values_per_token",
         explain="The rotary key k_rope is computed from x, not from c_kv, so it cannot be rebuilt from the "
                 "latent: it is cached too, d_rope values per token and layer.")
def mla_cache_without_rope_key(n_layers, d_c, d_rope):
    return n_layers * d_c


@mistake("kv_cache_without_factor_2", "MHA/GQA cache counts only the keys (no factor 2 for the values)",
         entry="mha_cache_values_per_token",
         explain="Both keys and values are cached: 2 · n_layers · n_heads · head_dim (n_kv_heads for GQA).")
def mha_without_factor_2(n_layers, n_heads, head_dim):
    return n_layers * n_heads * head_dim


@mistake("kv_cache_without_factor_2", "MHA/GQA cache counts only the keys (no factor 2 for the values)",
         entry="gqa_cache_values_per_token")
def gqa_without_factor_2(n_layers, n_kv_heads, head_dim):
    return n_layers * n_kv_heads * head_dim
