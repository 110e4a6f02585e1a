"""Correct, differently written: einsum and F.linear, functional dropout, a float32 LoRA
branch (the `.float()` ... `.type_as(x)` idiom), a hand-written uniform init for A, and
merge/unmerge through `.data`."""
import math

import torch
import torch.nn.functional as F
from torch import nn


class LoRALinear(nn.Module):
    def __init__(self, base, r, alpha, dropout=0.0):
        super().__init__()
        base.requires_grad_(False)
        self.base = base
        self.p = dropout
        self.scaling = alpha / r
        out_f, in_f = base.weight.shape
        bound = 1.0 / math.sqrt(in_f)  # what kaiming_uniform_(a=√5) gives
        a = torch.empty(r, in_f, dtype=base.weight.dtype, device=base.weight.device).uniform_(-bound, bound)
        self.lora_A = nn.Parameter(a)
        self.lora_B = nn.Parameter(base.weight.new_zeros(out_f, r))
        self.merged = False

    def forward(self, x):
        out = F.linear(x, self.base.weight, self.base.bias)
        if self.merged:
            return out
        h = F.dropout(x, self.p, training=self.training).float()
        low = torch.einsum("...i,ri->...r", h, self.lora_A.float())
        up = torch.einsum("...r,or->...o", low, self.lora_B.float())
        return out + (self.scaling * up).type_as(x)

    def _delta(self):
        return torch.einsum("or,ri->oi", self.lora_B, self.lora_A) * self.scaling

    def merge(self):
        if not self.merged:
            self.base.weight.data.add_(self._delta().detach())
            self.merged = True

    def unmerge(self):
        if self.merged:
            self.base.weight.data.sub_(self._delta().detach())
            self.merged = False
