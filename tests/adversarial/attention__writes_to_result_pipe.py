# expect: error | malformed reply
import os, torch
def scaled_dot_product_attention(q, k, v, mask=None):
    for fd in range(3, 30):
        try:
            os.write(fd, b'\x00\x00\x00\x00\x00\x00\x00\x05hello')
        except OSError:
            pass
    return torch.zeros(*q.shape[:-1], v.shape[-1], dtype=q.dtype)
