# expect: error | forbidden
import torch
def scaled_dot_product_attention(q, k, v, mask=None):
    fn = vars(torch.nn.functional)['scaled_dot_product_attention']
    return fn(q, k, v, attn_mask=mask)
