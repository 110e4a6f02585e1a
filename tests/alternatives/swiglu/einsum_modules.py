"""Correct, differently written: einsum against the (out, in) weights, silu as
z / (1 + exp(-z)), nn.GELU() as a submodule (it has no parameters, so the state_dict is
unchanged), biases added only where they exist."""
import torch
from torch import nn


def _apply(layer, x):
    y = torch.einsum("...i,oi->...o", x, layer.weight)
    return y if layer.bias is None else y + layer.bias


class SwiGLU(nn.Module):
    def __init__(self, d_model, d_ff, bias=False):
        super().__init__()
        self.w_gate = nn.Linear(d_model, d_ff, bias=bias)
        self.w_up = nn.Linear(d_model, d_ff, bias=bias)
        self.w_down = nn.Linear(d_ff, d_model, bias=bias)

    def forward(self, x):
        gate = _apply(self.w_gate, x)
        up = _apply(self.w_up, x)
        return _apply(self.w_down, gate / (1 + torch.exp(-gate)) * up)


class GeluMLP(nn.Module):
    def __init__(self, d_model, d_ff, bias=True):
        super().__init__()
        self.fc_in = nn.Linear(d_model, d_ff, bias=bias)
        self.act = nn.GELU()
        self.fc_out = nn.Linear(d_ff, d_model, bias=bias)

    def forward(self, x):
        return _apply(self.fc_out, self.act(_apply(self.fc_in, x)))
