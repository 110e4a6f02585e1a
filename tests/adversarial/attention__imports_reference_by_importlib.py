# expect: error | reference
import importlib
m = importlib.import_module('sol' + 'utions.attention')
scaled_dot_product_attention = getattr(m, 'scaled_dot_product_attention')
