# expect: error | reference
import importlib
m = importlib.import_module('sol' + 'utions.attention')
scaled_dot_product_attention = vars(m)['scaled_dot_product_attention']
