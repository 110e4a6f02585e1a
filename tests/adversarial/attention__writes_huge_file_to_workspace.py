# expect: error | scratch folder
import os
def scaled_dot_product_attention(q, k, v, mask=None):
    with open(os.path.expanduser('~/drill-huge.bin'), 'wb') as f:
        f.write(b'0' * (200 << 20))
