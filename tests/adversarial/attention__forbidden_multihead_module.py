# expect: error | forbidden
import torch
def scaled_dot_product_attention(q, k, v, mask=None):
    m = getattr(torch.nn, 'Multihead' + 'Attention')(q.shape[-1], 1)
    return m(q, k, v)[0]
