# expect: error | reference
from solutions.attention import scaled_dot_product_attention
