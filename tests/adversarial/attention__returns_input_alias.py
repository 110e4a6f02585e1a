# expect: fail | differ
def scaled_dot_product_attention(q, k, v, mask=None):
    return v[..., : q.shape[-2], :]
