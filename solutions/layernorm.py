"""Reference: LayerNorm over the last dim, y = (x - mean) / sqrt(var + eps) * weight + bias.

Left out on purpose: a tuple `normalized_shape` (normalising over several trailing dims),
`device=` / `dtype=` constructor arguments, and fused kernels (Welford's one-pass update).
"""
import torch
from torch import nn


class LayerNorm(nn.Module):
    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True):
        super().__init__()
        self.normalized_shape = normalized_shape
        self.eps = eps
        if elementwise_affine:
            self.weight = nn.Parameter(torch.ones(normalized_shape))  # (D,): identity at init
            self.bias = nn.Parameter(torch.zeros(normalized_shape)) if bias else None  # (D,)
        else:
            # registered as None, as torch does: m.weight is None, and not in state_dict()
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, x):
        # x (..., D)
        work = torch.promote_types(x.dtype, torch.float32)  # fp16/bf16 -> fp32; fp64 stays fp64
        xf = x.to(work)
        mean = xf.mean(dim=-1, keepdim=True)  # (..., 1)
        # subtle: centre first, then square (two passes). E[x²] - E[x]² cancels catastrophically
        # when |mean| >> std, e.g. activations around 1000 with spread 1 in float32
        centred = xf - mean  # (..., D)
        var = centred.pow(2).mean(dim=-1, keepdim=True)  # (..., 1), biased: divide by D, not D - 1
        y = centred * torch.rsqrt(var + self.eps)  # eps inside the root
        if self.weight is not None:
            y = y * self.weight.to(work)
        if self.bias is not None:
            y = y + self.bias.to(work)
        return y.to(x.dtype)
