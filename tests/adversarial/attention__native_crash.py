# expect: error | crashed with SIGSEGV
import faulthandler
def scaled_dot_product_attention(q, k, v, mask=None):
    faulthandler._sigsegv()
