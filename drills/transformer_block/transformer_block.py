"""A LLaMA-style decoder block: pre-norm, RoPE, grouped-query attention, SwiGLU.

Write the nn.Module `DecoderBlock(d_model, n_heads, d_ff, n_kv_heads=None, eps=1e-6,
theta=10000.0)` whose forward(x) computes, for x of shape (B, L, d_model):

    h   = x + attn(attn_norm(x))
    out = h + mlp(mlp_norm(h))                  -> (B, L, d_model), x's dtype and device

Pre-norm: each sub-layer reads a normalised copy of the residual stream, and its output is
added to the stream itself (x, then h), never to the normalised copy. Each sub-layer has
its own norm. No norm after the residual additions.

Submodules and parameters (exactly these names and shapes; nn.Linear weights are (out, in),
with no biases anywhere). head_dim = d_model // n_heads, and n_kv_heads = n_heads when None.
    attn_norm.weight       (d_model,)                    RMSNorm
    attn.q_proj.weight     (n_heads * head_dim, d_model)
    attn.k_proj.weight     (n_kv_heads * head_dim, d_model)
    attn.v_proj.weight     (n_kv_heads * head_dim, d_model)
    attn.o_proj.weight     (d_model, n_heads * head_dim)
    mlp_norm.weight        (d_model,)                    RMSNorm
    mlp.w_gate.weight      (d_ff, d_model)
    mlp.w_up.weight        (d_ff, d_model)
    mlp.w_down.weight      (d_model, d_ff)
The grader builds your block, moves it with .to(device=..., dtype=...), loads its own
weights with load_state_dict, and compares outputs: add no other parameters (a
non-persistent buffer, e.g. a cos/sin table, is fine). d_model is a multiple of n_heads,
head_dim is even, and n_heads is a multiple of n_kv_heads.

The pieces (the rmsnorm, rope, mha and swiglu drills; paste your own code from them if you
like, but this file must be self-contained):
- RMSNorm(x) = x / sqrt(mean(x², last dim) + eps) * weight, eps inside the square root.
- Attention: causal self-attention, token i attends to tokens j <= i. Project, split into
  heads (head h = features h*head_dim ... (h+1)*head_dim - 1 of q_proj(x); kv heads likewise),
  rotate queries and keys (not values) with RoPE, scores q·k / √head_dim, softmax over the
  keys, weighted sum of values, heads concatenated in order, o_proj.
- RoPE: rotate-half convention (Hugging Face LLaMA), positions 0 .. L-1, base `theta`: for
  i = 0 .. head_dim/2 - 1 the pair (x[i], x[i + head_dim/2]) turns by the angle
  position * theta ** (-2i / head_dim):  (a, b) -> (a·cos - b·sin, a·sin + b·cos).
  NOT the interleaved pairs (x[2i], x[2i+1]) of Meta's original code.
- Grouped-query attention: query head h uses kv head h // (n_heads // n_kv_heads)
  (repeat_interleave on the head dim, as HF's repeat_kv; not repeat).
- mlp = SwiGLU: w_down(silu(w_gate(x)) * w_up(x)).

Precision: the grader may convert the module to float16/bfloat16 (or float64) and pass x in
that dtype. Compute the RMSNorm statistics, the RoPE angles (cos/sin) and the softmax in
float32 (float64 stays float64), cast back to x's dtype, and return x's dtype. Create new
tensors (the causal mask, positions) on x's device. Do not modify x in place.

Allowed: anything in torch, including nn.Linear, nn.RMSNorm and
torch.nn.functional.scaled_dot_product_attention (is_causal=True is right here: Lq == Lk).
Not allowed: torch.nn.MultiheadAttention, torch.nn.functional.multi_head_attention_forward,
and torch's ready-made transformer layers (nn.TransformerEncoderLayer, nn.TransformerDecoderLayer...).

What is checked: the parameter names and shapes; equality with the reference under the same
weights (float32, float64; MHA, GQA and MQA; drawn eps and theta); that future tokens do not
change earlier outputs; that the block is the identity when attn.o_proj and mlp.w_down are
zero; each sub-layer alone (the other's output projection zeroed); float16/bfloat16 within
the dtype's tolerance (its atol scaled by the output's largest |value|, since a half-precision
residual stream is rounded at every addition).

Example: d_model=2, n_heads=1 (head_dim 2), d_ff=1; q/k/v/o_proj weights = 2x2 identity,
w_gate.weight = [[1, 0]], w_up.weight = [[0, 1]], w_down.weight = [[1], [1]], norm weights 1.
    x = [[[3., 4.]]]                        one token, at position 0 (RoPE does nothing)
    attn_norm(x) = [0.8485, 1.1314]          (rms of [3, 4] is √12.5)
    attn(...)    = [0.8485, 1.1314]          (a lone token attends to itself: its value)
    h            = [3.8485, 5.1314]
    mlp_norm(h)  = [0.8485, 1.1314]
    mlp(...)     = silu(0.8485) * 1.1314 = 0.5942 * 1.1314 = 0.6722, to both features
    out          = [[[4.5208, 5.8036]]]
    With a second token, x = [[[3., 4.], [0., 1.]]], the outputs are
    [[[4.5208, 5.8036], [0.2199, 2.4306]]]: the first row does not change (causal).
"""
import torch
from torch import nn


class DecoderBlock(nn.Module):

    def __init__(self, d_model: int, n_heads: int, d_ff: int, n_kv_heads: int | None = None,
                 eps: float = 1e-6, theta: float = 10000.0):
        super().__init__()
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError
