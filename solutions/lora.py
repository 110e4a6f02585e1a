"""Reference: LoRA (Hu et al., 2021) around a frozen nn.Linear.

The base layer stays frozen; only the rank-r factors A (r, in) and B (out, r) train, and
B starts at zero so that training starts from the pretrained model exactly.

Left out on purpose: several named adapters per layer, LoRA for Embedding/Conv layers,
rsLoRA's alpha/√r scale, DoRA, quantised bases (QLoRA), and peft's machinery that finds
the target modules and swaps them in (`get_peft_model`, `target_modules`).
"""
import math

import torch
from torch import nn


class LoRALinear(nn.Module):
    def __init__(self, base: nn.Linear, r: int, alpha: float, dropout: float = 0.0):
        super().__init__()
        self.base = base
        # freeze the pretrained layer: no gradient, no optimizer state for it
        self.base.weight.requires_grad_(False)
        if self.base.bias is not None:
            self.base.bias.requires_grad_(False)
        self.r, self.alpha = r, alpha
        self.scale = alpha / r
        like = dict(dtype=base.weight.dtype, device=base.weight.device)
        self.lora_A = nn.Parameter(torch.empty(r, base.in_features, **like))    # (r, in)
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, r, **like))   # (out, r)
        # subtle: exactly one factor is zero. B = 0 makes the update B @ A zero at the start;
        # A random keeps dL/dB = g·(A x)ᵀ nonzero. Both zero and nothing would ever move.
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.dropout = nn.Dropout(dropout)
        self.merged = False

    def delta_weight(self) -> torch.Tensor:
        return (self.lora_B @ self.lora_A) * self.scale  # (out, r) @ (r, in) -> (out, in)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.base(x)  # (..., out)
        if self.merged:
            return y  # the update already lives in base.weight
        # low-rank path: never materialise the (out, in) update; (..., in) -> (..., r) -> (..., out)
        h = self.dropout(x) @ self.lora_A.T
        return y + (h @ self.lora_B.T) * self.scale

    @torch.no_grad()
    def merge(self) -> None:
        if self.merged:
            return  # subtle: a second merge would add the update twice
        self.base.weight += self.delta_weight()
        self.merged = True

    @torch.no_grad()
    def unmerge(self) -> None:
        if not self.merged:
            return
        self.base.weight -= self.delta_weight()
        self.merged = False
