# expect: error | forbidden
from torch.nn.functional import scaled_dot_product_attention as sdpa
def scaled_dot_product_attention(q, k, v, mask=None):
    return sdpa(q, k, v, attn_mask=mask)
