# expect: error | signal
import os, signal
def scaled_dot_product_attention(q, k, v, mask=None):
    os.kill(os.getppid(), signal.SIGTERM)
