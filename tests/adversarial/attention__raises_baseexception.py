# expect: fail | BaseException
def scaled_dot_product_attention(q, k, v, mask=None):
    raise BaseException('pass')
