# expect: error | reference
import grader.paths as P
src = (P.solutions_dir() / ('atten' + 'tion.py')).read_text()
ns = {}
exec(src, ns)
scaled_dot_product_attention = ns['scaled_dot_product_attention']
