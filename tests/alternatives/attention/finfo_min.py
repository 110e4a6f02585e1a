"""Correct, differently written: finfo.min fill (no NaN), then zero the rows with no allowed key."""
import math

import torch


def scaled_dot_product_attention(q, k, v, mask=None):
    scale = 1.0 / math.sqrt(q.size(-1))
    scores = torch.matmul(q * scale, k.transpose(-1, -2))   # scale q first: a different order
    if mask is not None:
        scores = scores.masked_fill(~mask, torch.finfo(scores.dtype).min)
    w = scores.float().softmax(-1)
    if mask is not None:
        # subtle: float64's finfo.min is -inf in float32, so an empty row is NaN here, and
        # NaN * 0 is still NaN: select, do not multiply
        w = w.masked_fill(~mask.any(-1, keepdim=True), 0.0)
    return torch.matmul(w.to(v.dtype), v)
