# expect: fail | in place
import math, torch

def _right(q, k, v, mask=None):
    s = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        s = s.masked_fill(~mask, float("-inf"))
    w = torch.softmax(s.float(), -1)
    if mask is not None:
        w = w.masked_fill(~mask.any(-1, keepdim=True), 0.0)
    return w.to(v.dtype) @ v
def scaled_dot_product_attention(q, k, v, mask=None):
    out = _right(q, k, v, mask)
    q.zero_()
    return out
