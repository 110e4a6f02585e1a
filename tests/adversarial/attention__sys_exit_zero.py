# expect: fail | SystemExit
import sys, torch
def scaled_dot_product_attention(q, k, v, mask=None):
    sys.exit(0)
