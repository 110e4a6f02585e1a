# expect: error | forbidden
import torch
from torch import nn

class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        fn = vars(torch.nn.functional)['rms_' + 'norm']
        return fn(x, (x.shape[-1],), self.weight, self.eps)
