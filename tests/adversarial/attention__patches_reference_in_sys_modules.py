# expect: error | forbidden
import sys, types, torch
fake = types.ModuleType('drill_reference_attention')
fake.scaled_dot_product_attention = lambda q, k, v, mask=None: torch.zeros(1)
sys.modules['drill_reference_attention'] = fake
sys.modules['solutions.attention'] = fake

def scaled_dot_product_attention(q, k, v, mask=None):
    return torch.zeros(*q.shape[:-1], v.shape[-1], dtype=q.dtype)
