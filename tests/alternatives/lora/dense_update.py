"""Correct, differently written: without dropout in play, forward adds the scaled update to
the weight and does one linear (another order of operations); merge() and unmerge() swap in a
new frozen Parameter instead of changing the weight in place."""
import math

import torch
from torch import nn


class LoRALinear(nn.Module):
    def __init__(self, base, r, alpha, dropout=0.0):
        super().__init__()
        for p in base.parameters():
            p.requires_grad = False
        self.base = base
        self.s = alpha / r
        w = base.weight
        self.lora_A = nn.Parameter(torch.zeros(r, w.shape[1], dtype=w.dtype, device=w.device))
        self.lora_B = nn.Parameter(torch.zeros(w.shape[0], r, dtype=w.dtype, device=w.device))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.drop = nn.Dropout(dropout)
        self.merged = False

    def forward(self, x):
        if self.merged:
            return self.base(x)
        if self.training and self.drop.p > 0:
            return self.base(x) + self.s * (self.drop(x) @ self.lora_A.t()) @ self.lora_B.t()
        w = self.base.weight + self.s * (self.lora_B @ self.lora_A)   # (out, in)
        y = x @ w.t()
        return y if self.base.bias is None else y + self.base.bias

    @torch.no_grad()
    def merge(self):
        if self.merged:
            return
        self.base.weight = nn.Parameter(self.base.weight + self.s * (self.lora_B @ self.lora_A), requires_grad=False)
        self.merged = True

    @torch.no_grad()
    def unmerge(self):
        if not self.merged:
            return
        self.base.weight = nn.Parameter(self.base.weight - self.s * (self.lora_B @ self.lora_A), requires_grad=False)
        self.merged = False
