"""Classic wrong answers to the transformer_block drill; each must fail the spec.

`_Block` is the reference with one knob (a class attribute or a method) per mistake.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn

from grader.props import mistake


class _RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        xf = x.to(torch.promote_types(x.dtype, torch.float32))
        return (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)).to(x.dtype) * self.weight


def _rope(x, theta, interleaved=False):
    L, hd = x.shape[-2], x.shape[-1]
    work = torch.promote_types(x.dtype, torch.float32)
    inv_freq = theta ** (-torch.arange(0, hd, 2, dtype=work, device=x.device) / hd)
    angles = torch.arange(L, dtype=work, device=x.device)[:, None] * inv_freq
    cos, sin = angles.cos(), angles.sin()
    xw = x.to(work)
    if interleaved:
        a, b = xw[..., 0::2], xw[..., 1::2]
        return torch.stack((a * cos - b * sin, a * sin + b * cos), dim=-1).flatten(-2).to(x.dtype)
    a, b = xw[..., : hd // 2], xw[..., hd // 2:]
    return torch.cat((a * cos - b * sin, a * sin + b * cos), dim=-1).to(x.dtype)


class _Attention(nn.Module):
    def __init__(self, d_model, n_heads, n_kv_heads, theta, block):
        super().__init__()
        self.H, self.G, self.hd, self.theta = n_heads, n_kv_heads, d_model // n_heads, theta
        self.rope_mode, self.causal, self.expand_mode, self.rope_values = (
            block.rope_mode, block.causal, block.expand_mode, block.rope_values)
        self.q_proj = nn.Linear(d_model, n_heads * self.hd, bias=False)
        self.k_proj = nn.Linear(d_model, n_kv_heads * self.hd, bias=False)
        self.v_proj = nn.Linear(d_model, n_kv_heads * self.hd, bias=False)
        self.o_proj = nn.Linear(n_heads * self.hd, d_model, bias=False)

    def rot(self, t):
        if self.rope_mode is None:
            return t
        return _rope(t, self.theta, interleaved=self.rope_mode == "interleaved")

    def forward(self, x):
        B, L, _ = x.shape
        H, G, hd = self.H, self.G, self.hd
        q = self.rot(self.q_proj(x).view(B, L, H, hd).transpose(1, 2))
        k = self.rot(self.k_proj(x).view(B, L, G, hd).transpose(1, 2))
        v = self.v_proj(x).view(B, L, G, hd).transpose(1, 2)
        if self.rope_values:
            v = self.rot(v)
        if self.expand_mode == "repeat":
            k, v = k.repeat(1, H // G, 1, 1), v.repeat(1, H // G, 1, 1)
        else:
            k, v = k.repeat_interleave(H // G, dim=1), v.repeat_interleave(H // G, dim=1)
        scores = q @ k.transpose(-2, -1) / math.sqrt(hd)
        if self.causal:
            scores = scores.masked_fill(torch.ones(L, L, dtype=torch.bool, device=x.device).triu(1), float("-inf"))
        w = torch.softmax(scores, dim=-1, dtype=torch.promote_types(scores.dtype, torch.float32))
        return self.o_proj((w.to(v.dtype) @ v).transpose(1, 2).reshape(B, L, H * hd))


class _SwiGLU(nn.Module):
    def __init__(self, d_model, d_ff):
        super().__init__()
        self.w_gate = nn.Linear(d_model, d_ff, bias=False)
        self.w_up = nn.Linear(d_model, d_ff, bias=False)
        self.w_down = nn.Linear(d_ff, d_model, bias=False)

    def forward(self, x):
        return self.w_down(F.silu(self.w_gate(x)) * self.w_up(x))


class _Block(nn.Module):
    rope_mode = "half"        # "half" | "interleaved" | None
    causal = True
    expand_mode = "interleave"
    rope_values = False

    def __init__(self, d_model, n_heads, d_ff, n_kv_heads=None, eps=1e-6, theta=10000.0):
        super().__init__()
        n_kv_heads = n_heads if n_kv_heads is None else n_kv_heads
        self.attn_norm = _RMSNorm(d_model, eps)
        self.attn = _Attention(d_model, n_heads, n_kv_heads, theta, self)
        self.mlp_norm = _RMSNorm(d_model, eps)
        self.mlp = _SwiGLU(d_model, d_ff)

    def forward(self, x):
        h = x + self.attn(self.attn_norm(x))
        return h + self.mlp(self.mlp_norm(h))


@mistake("post_norm", "post-norm: the norms come after the residual additions", entry="DecoderBlock",
         explain="The original Transformer normalises after the sum, h = norm(x + attn(x)). LLaMA is pre-norm: "
                 "h = x + attn(attn_norm(x)), out = h + mlp(mlp_norm(h)); the residual stream is never "
                 "normalised inside the block.")
class DecoderBlock(_Block):
    def forward(self, x):
        h = self.attn_norm(x + self.attn(x))
        return self.mlp_norm(h + self.mlp(h))


@mistake("residual_from_normed_input", "the residual adds the normalised input: h = norm(x) + attn(norm(x))",
         entry="DecoderBlock",
         explain="Normalise a copy for the sub-layer, but add its output to the un-normalised stream: "
                 "h = x + attn(attn_norm(x)). Adding to norm(x) throws the stream's scale away at every block.")
class ResidualFromNormed(_Block):
    def forward(self, x):
        n = self.attn_norm(x)
        h = n + self.attn(n)
        n2 = self.mlp_norm(h)
        return n2 + self.mlp(n2)


@mistake("shared_norm", "both sub-layers use attn_norm (mlp_norm's weight is never used)", entry="DecoderBlock",
         explain="Each sub-layer has its own RMSNorm with its own learned weight: attn_norm before attention, "
                 "mlp_norm before the MLP (input_layernorm and post_attention_layernorm in HF LLaMA).")
class SharedNorm(_Block):
    def forward(self, x):
        h = x + self.attn(self.attn_norm(x))
        return h + self.mlp(self.attn_norm(h))


@mistake("no_rope", "RoPE not applied: queries and keys carry no position", entry="DecoderBlock",
         explain="Without RoPE (and with no other position signal) causal attention only knows what it may "
                 "see, not how far away it is. Rotate q and k (after splitting heads) by position * theta^(-2i/hd).")
class NoRope(_Block):
    rope_mode = None


@mistake("rope_interleaved", "RoPE in the interleaved convention (pairs x[2i], x[2i+1]) instead of rotate-half",
         entry="DecoderBlock",
         explain="The block uses Hugging Face LLaMA's rotate-half pairs (x[i], x[i + head_dim/2]). Meta's original "
                 "code pairs neighbours; checkpoints converted between the two permute the q/k weights.")
class RopeInterleaved(_Block):
    rope_mode = "interleaved"


@mistake("no_causal_mask", "no causal mask: tokens attend to future tokens", entry="DecoderBlock",
         explain="A decoder block predicts the next token, so token i may attend only to tokens j <= i: fill the "
                 "scores above the diagonal with -inf (or use SDPA's is_causal=True).")
class NoCausalMask(_Block):
    causal = False


@mistake("gqa_repeat_not_interleave", "kv heads expanded with repeat instead of repeat_interleave",
         entry="DecoderBlock",
         explain="Query head h uses kv head h // (n_heads // n_kv_heads): the heads of a group are adjacent "
                 "(repeat_interleave, HF's repeat_kv). repeat tiles them, pairing head h with kv head h % n_kv_heads.")
class GqaRepeat(_Block):
    expand_mode = "repeat"


@mistake("rope_on_values", "RoPE applied to the values as well as the queries and keys", entry="DecoderBlock",
         explain="RoPE makes q·k depend on the relative position; it rotates queries and keys only. Rotated "
                 "values change what is mixed, not where to look.")
class RopeOnValues(_Block):
    rope_values = True
