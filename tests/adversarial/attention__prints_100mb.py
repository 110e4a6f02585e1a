# expect: error | output limit
import sys
def scaled_dot_product_attention(q, k, v, mask=None):
    chunk = 'x' * (1 << 20)
    for _ in range(100):
        sys.stdout.write(chunk)
    sys.stdout.flush()
