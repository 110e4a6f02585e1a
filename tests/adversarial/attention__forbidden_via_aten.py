# expect: error | forbidden
import torch
def scaled_dot_product_attention(q, k, v, mask=None):
    op = getattr(torch.ops.aten, '_scaled_dot_product_flash_' + 'attention_for_cpu')
    return op(q, k, v)[0]
