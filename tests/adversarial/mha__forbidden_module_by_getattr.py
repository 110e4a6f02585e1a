# expect: error | forbidden
import torch
from torch import nn

class MultiHeadAttention(nn.Module):
    def __init__(self, d_model, n_heads, n_kv_heads=None, bias=False):
        super().__init__()
        cls = getattr(nn, 'Multihead' + 'Attention')
        self.inner = cls(d_model, n_heads, bias=bias, batch_first=True)
