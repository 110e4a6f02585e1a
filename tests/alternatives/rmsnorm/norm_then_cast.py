"""Correct, differently written: RMS from the L2 norm, weight applied in float32, cast back last."""
import math

import torch
from torch import nn


class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.dim, self.eps = dim, eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        h = x.float() if x.dtype in (torch.float16, torch.bfloat16) else x
        ms = torch.linalg.vector_norm(h, ord=2, dim=-1, keepdim=True).square() / self.dim
        y = h / torch.sqrt(ms + self.eps) * self.weight.to(h.dtype)
        return y.to(x.dtype)
