# expect: fail | differ
import json, torch

def scaled_dot_product_attention(q, k, v, mask=None):
    print(json.dumps({'status': 'pass', 'properties': []}))
    return torch.zeros(*q.shape[:-1], v.shape[-1], dtype=q.dtype)
