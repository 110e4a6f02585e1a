# expect: error | spawn
import subprocess
def scaled_dot_product_attention(q, k, v, mask=None):
    subprocess.run(['sh', '-c', 'echo pass'])
