# expect: fail | differ
import torch
torch.allclose = lambda *a, **k: True
torch.equal = lambda *a, **k: True

def scaled_dot_product_attention(q, k, v, mask=None):
    return torch.zeros(*q.shape[:-1], v.shape[-1], dtype=q.dtype)
