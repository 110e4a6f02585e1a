"""Reference: scaled dot-product attention with a boolean mask.

Left out on purpose: dropout, an explicit `scale` argument, and causal masking (the
masks drill builds masks; here a mask is just given).
"""
import math

import torch


def scaled_dot_product_attention(q, k, v, mask=None):
    # q (..., Lq, D), k (..., Lk, D), v (..., Lk, Dv), mask bool broadcastable to (..., Lq, Lk)
    # scaling q (Lq x D numbers) instead of the scores (Lq x Lk) is the same maths, less work
    scores = (q * (1.0 / math.sqrt(q.shape[-1]))) @ k.transpose(-2, -1)  # (..., Lq, Lk)
    if mask is not None:
        scores.masked_fill_(~mask, float("-inf"))  # scores is our own fresh tensor: in place is safe
    # softmax in float32 at least: fp16 exp overflows long before fp32 does
    weights = torch.softmax(scores, dim=-1, dtype=torch.promote_types(scores.dtype, torch.float32))
    if mask is not None:
        # subtle: a row with no allowed key is softmax(-inf, ..., -inf) = NaN; the contract says 0
        # (not in place: softmax's backward needs its output as it was)
        empty = ~mask.any(dim=-1, keepdim=True)
        if empty.any():  # the pass over all the weights is paid only when such a row exists
            weights = weights.masked_fill(empty, 0.0)
    return weights.to(v.dtype) @ v  # (..., Lq, Dv)
