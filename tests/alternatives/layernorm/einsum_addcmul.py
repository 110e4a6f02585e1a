"""Correct, differently written: statistics by einsum sums divided by D, the affine part
fused with torch.addcmul (bias + y * weight) in float32, parameters through
register_parameter."""
import torch
from torch import nn


class LayerNorm(nn.Module):
    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True):
        super().__init__()
        self.D = normalized_shape
        self.eps = eps
        w = nn.Parameter(torch.ones(normalized_shape)) if elementwise_affine else None
        b = nn.Parameter(torch.zeros(normalized_shape)) if elementwise_affine and bias else None
        self.register_parameter("weight", w)
        self.register_parameter("bias", b)

    def forward(self, x):
        h = x.to(torch.promote_types(x.dtype, torch.float32))
        mean = torch.einsum("...d->...", h).unsqueeze(-1) / self.D
        c = h - mean
        var = torch.einsum("...d,...d->...", c, c).unsqueeze(-1) / self.D
        y = c / (var + self.eps).sqrt()
        if self.weight is not None:
            w = self.weight.to(h.dtype)
            y = torch.addcmul(self.bias.to(h.dtype), y, w) if self.bias is not None else y * w
        return y.to(x.dtype)
