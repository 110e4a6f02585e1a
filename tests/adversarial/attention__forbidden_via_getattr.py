# expect: error | forbidden
import torch.nn.functional as F
def scaled_dot_product_attention(q, k, v, mask=None):
    return getattr(F, 'scaled_dot_product_' + 'attention')(q, k, v, attn_mask=mask)
