"""Reference: the transformer feed-forward block, gated (SwiGLU, LLaMA) and plain (GELU, GPT-2/BERT).

Left out on purpose: dropout, fused gate+up projections (one (2·d_ff, d_model) matrix split
in two, as some checkpoints store them), tensor-parallel sharding, and the rounding of
d_ff (LLaMA: 2/3 · 4·d_model rounded up to a multiple of 256).
"""
import torch
import torch.nn.functional as F
from torch import nn


class SwiGLU(nn.Module):
    """w_down(silu(w_gate(x)) * w_up(x)); LLaMA's w1 = w_gate, w3 = w_up, w2 = w_down."""

    def __init__(self, d_model, d_ff, bias=False):
        super().__init__()
        self.w_gate = nn.Linear(d_model, d_ff, bias=bias)  # weight (d_ff, d_model)
        self.w_up = nn.Linear(d_model, d_ff, bias=bias)    # weight (d_ff, d_model)
        self.w_down = nn.Linear(d_ff, d_model, bias=bias)  # weight (d_model, d_ff)

    def forward(self, x):
        # x (..., d_model)
        # subtle: the SiLU goes on the GATE only; the up projection stays linear, and the
        # product is elementwise, so the output is linear in w_up
        hidden = F.silu(self.w_gate(x)) * self.w_up(x)  # (..., d_ff)
        return self.w_down(hidden)  # (..., d_model); no residual: the block adds it


class GeluMLP(nn.Module):
    """fc_out(gelu(fc_in(x))) with the exact (erf) GELU."""

    def __init__(self, d_model, d_ff, bias=True):
        super().__init__()
        self.fc_in = nn.Linear(d_model, d_ff, bias=bias)   # weight (d_ff, d_model)
        self.fc_out = nn.Linear(d_ff, d_model, bias=bias)  # weight (d_model, d_ff)

    def forward(self, x):
        # x (..., d_model) -> (..., d_ff) -> (..., d_model)
        # subtle: approximate="none" (x·Φ(x), erf); GPT-2's tanh formula differs by up to ~5e-4
        return self.fc_out(F.gelu(self.fc_in(x)))
