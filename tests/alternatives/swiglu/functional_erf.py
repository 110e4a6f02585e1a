"""Correct, differently written: parameters held by nn.Linear, but the forward pass with
F.linear, silu spelled z * sigmoid(z), and the exact GELU spelled with erf."""
import math

import torch
import torch.nn.functional as F
from torch import nn


def _linear(layer, x):
    return F.linear(x, layer.weight, layer.bias)


class SwiGLU(nn.Module):
    def __init__(self, d_model, d_ff, bias=False):
        super().__init__()
        self.w_gate = nn.Linear(d_model, d_ff, bias=bias)
        self.w_up = nn.Linear(d_model, d_ff, bias=bias)
        self.w_down = nn.Linear(d_ff, d_model, bias=bias)

    def forward(self, x):
        z = _linear(self.w_gate, x)
        return _linear(self.w_down, z * torch.sigmoid(z) * _linear(self.w_up, x))


class GeluMLP(nn.Module):
    def __init__(self, d_model, d_ff, bias=True):
        super().__init__()
        self.fc_in = nn.Linear(d_model, d_ff, bias=bias)
        self.fc_out = nn.Linear(d_ff, d_model, bias=bias)

    def forward(self, x):
        h = _linear(self.fc_in, x)
        h = 0.5 * h * (1.0 + torch.erf(h / math.sqrt(2.0)))
        return _linear(self.fc_out, h)
