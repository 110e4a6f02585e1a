# expect: fail | differ
import torch, torch.testing
torch.testing.assert_close = lambda *a, **k: None

def scaled_dot_product_attention(q, k, v, mask=None):
    return torch.zeros(*q.shape[:-1], v.shape[-1], dtype=q.dtype)
