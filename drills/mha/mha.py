"""Multi-head attention, with grouped-query and multi-query variants.

Write the nn.Module `MultiHeadAttention(d_model, n_heads, n_kv_heads=None, bias=False)`.

Parameters (exactly these four submodules, all nn.Linear, weights shaped (out, in);
each has a bias only when bias=True):
    head_dim = d_model // n_heads          (d_model is divisible by n_heads)
    n_kv_heads = n_heads when None         (n_heads is divisible by n_kv_heads)
    q_proj  d_model -> n_heads * head_dim
    k_proj  d_model -> n_kv_heads * head_dim
    v_proj  d_model -> n_kv_heads * head_dim
    o_proj  n_heads * head_dim -> d_model
The grader builds your module, loads the reference's weights into it with
load_state_dict, and compares outputs: keep these names and shapes, and add no other
parameters (buffers and plain attributes are fine).

forward(x, kv=None, mask=None, causal=False) -> (B, Lq, d_model)
    x       (B, Lq, d_model)   the queries come from x
    kv      (B, Lk, d_model)   the keys and values come from kv; None means kv = x
                               (self-attention); Lk may differ from Lq (cross-attention)
    mask    bool, broadcastable to (B, n_heads, Lq, Lk), or None.
            True = this query MAY attend to this key (torch's SDPA convention).
    causal  if True, query i may only attend to keys j <= i + (Lk - Lq): the queries are
            the LAST Lq of the Lk positions (as when new tokens attend over a cache).
            With Lq == Lk this is the usual j <= i. When both mask and causal are given,
            a key is allowed only if both allow it.

Heads are contiguous slices of the projections: query head h is features
h*head_dim ... (h+1)*head_dim - 1 of q_proj(x), and kv head g the same slice of
k_proj(kv) and v_proj(kv). For each query head h, with g its kv head (below):
    out_h = softmax(q_h k_gᵀ / √head_dim) v_g      (scale by the HEAD size, not d_model)
The heads' outputs (B, Lq, head_dim) are concatenated in head order and passed
through o_proj.

Grouped-query attention: n_kv_heads < n_heads. Query head h uses kv head
g = h // (n_heads // n_kv_heads), so each kv head serves a block of consecutive query
heads (as torch.repeat_interleave along the head dim does; HF LLaMA's `repeat_kv`).
n_kv_heads == 1 is multi-query attention; n_kv_heads == n_heads is plain MHA.

A query whose mask (combined with causal) allows no key at all gets a head output of
zeros, not NaN; its final output is then o_proj of zeros (o_proj.bias, or zeros).

Dtypes and devices: the grader may call `.to(dtype)` / `.to(device)` on your module
and pass inputs of that dtype on that device. Return the input's dtype; for
float16/bfloat16 compute the softmax in float32 and cast back. Create new tensors (a
causal mask) on the input's device. Do not modify the inputs in place.

Not allowed: torch.nn.MultiheadAttention, torch.nn.functional.scaled_dot_product_attention,
torch.nn.functional.multi_head_attention_forward. Write the attention yourself (matmul or
einsum, softmax, masked_fill, view/reshape/transpose...); nn.Linear is expected.

Example: d_model=4, n_heads=2 (head_dim=2), every projection weight = the 4x4 identity,
no bias, causal=True, one sequence of two tokens:
    x = [[[1., 0., 0., 1.],
          [0., 1., 1., 0.]]]
    token 0 sees only itself                          -> [1, 0, 0, 1]
    token 1, head 0 (features 0:2): q=[0,1], keys [1,0], [0,1]
        scores [0, 1]/√2 -> weights ≈ [0.330, 0.670] -> [0.330, 0.670]
    token 1, head 1 (features 2:4): q=[1,0], keys [0,1], [1,0]
        scores [0, 1]/√2 -> weights ≈ [0.330, 0.670] -> [0.670, 0.330]
    output ≈ [[[1.000, 0.000, 0.000, 1.000],
               [0.330, 0.670, 0.670, 0.330]]]
"""
import torch
import torch.nn as nn


class MultiHeadAttention(nn.Module):

    def __init__(self, d_model: int, n_heads: int, n_kv_heads: int | None = None, bias: bool = False):
        super().__init__()
        raise NotImplementedError

    def forward(self, x: torch.Tensor, kv: torch.Tensor | None = None, mask: torch.Tensor | None = None,
                causal: bool = False) -> torch.Tensor:
        raise NotImplementedError
