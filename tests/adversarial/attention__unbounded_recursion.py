# expect: error | limit
import sys
sys.setrecursionlimit(10**8)
def f(n):
    return f(n + 1) + 1
def scaled_dot_product_attention(q, k, v, mask=None):
    return f(0)
