# expect: error | memory limit
import torch
def scaled_dot_product_attention(q, k, v, mask=None):
    return torch.ones(100 * 2**30, dtype=torch.uint8)
