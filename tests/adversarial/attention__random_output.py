# expect: fail | differ
import torch
def scaled_dot_product_attention(q, k, v, mask=None):
    return torch.randn(*q.shape[:-1], v.shape[-1], dtype=q.dtype)
