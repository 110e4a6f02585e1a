"""Correct, differently written: einsum, -inf fill, softmax by hand, zeros for empty rows."""
import torch


def scaled_dot_product_attention(q, k, v, mask=None):
    work = torch.promote_types(q.dtype, torch.float32)  # fp16/bf16 -> fp32; fp64 stays fp64
    scores = torch.einsum("...qd,...kd->...qk", q.to(work), k.to(work)) * q.shape[-1] ** -0.5
    if mask is not None:
        scores = scores.masked_fill(mask.logical_not(), float("-inf"))
    m = scores.amax(dim=-1, keepdim=True)
    m = torch.where(torch.isinf(m), torch.zeros_like(m), m)
    e = torch.exp(scores - m)
    denom = e.sum(dim=-1, keepdim=True)
    w = torch.where(denom > 0, e / denom.clamp_min(1e-30), torch.zeros_like(e))
    return torch.einsum("...qk,...kv->...qv", w, v.to(work)).to(q.dtype)
