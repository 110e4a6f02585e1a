"""LoRA: a trainable low-rank update around a frozen nn.Linear.

Write the nn.Module `LoRALinear(base, r, alpha, dropout=0.0)`. It wraps an existing
`nn.Linear` (in_features -> out_features) and learns only a rank-r correction of it:

    y = base(x) + dropout(x) @ Aᵀ @ Bᵀ · (alpha / r)

Attributes (their names are part of the contract):
    base     the nn.Linear you were given, kept as it is (not re-initialised). Freeze it:
             base.weight (out, in) and base.bias (out,), when there is one, get
             requires_grad = False.
    lora_A   nn.Parameter of shape (r, in_features). Initialise it randomly, e.g. with
             nn.init.kaiming_uniform_(A, a=math.sqrt(5)) as peft and loralib do
             (the grader checks only that A is not all zeros).
    lora_B   nn.Parameter of shape (out_features, r), initialised to ZEROS, so that a fresh
             adapter returns exactly base(x) and B gets a gradient at the first step.
    merged   bool, False until merge() is called.
Create lora_A and lora_B with the dtype and device of base.weight. The module's
parameters are exactly base.weight, base.bias (if the base has one), lora_A and lora_B:
state_dict() has exactly the keys "base.weight", "base.bias", "lora_A", "lora_B", and
load_state_dict() accepts them. Only lora_A and lora_B train: r·(in + out) numbers.
After a backward pass, base.weight.grad and base.bias.grad are None.

forward(x): x is (..., in_features) with any number of leading dims; returns
    (..., out_features) in x's dtype. The scale is alpha / r (alpha and r may be any
    positive numbers; alpha == r is not assumed). Dropout with probability `dropout`
    (nn.Dropout semantics: active in train() mode only, kept values scaled by 1/(1-p))
    is applied to the input of the LoRA branch only, never to the input of base.
    With dropout=0.0 the forward is deterministic.

merge(): fold the update into the base layer: base.weight += (B @ A) · alpha / r, and set
    merged = True. From then on forward returns base(x) alone (same output as before, up
    to rounding). base.weight stays frozen. Calling merge() again while merged does
    nothing (the update must never be added twice).
unmerge(): undo it: base.weight -= (B @ A) · alpha / r, merged = False; restores the
    original weight up to rounding. Does nothing when not merged.

Not allowed: peft, loralib (write it with torch).

Example (no bias, in=2, out=1, r=1, alpha=2, so the scale is 2):
    base.weight = [[1., 2.]],  lora_A = [[1., 0.]],  lora_B = [[3.]],  x = [[1., 1.]]
    base(x) = 3;  x @ Aᵀ = [[1.]];  @ Bᵀ = [[3.]];  · 2 = [[6.]]   ->  y = [[9.]]
    merge():  base.weight = [[1., 2.]] + 2 · [[3., 0.]] = [[7., 2.]],  base(x) = [[9.]]
"""
import torch
from torch import nn


class LoRALinear(nn.Module):
    def __init__(self, base: nn.Linear, r: int, alpha: float, dropout: float = 0.0):
        super().__init__()
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def merge(self) -> None:
        raise NotImplementedError

    def unmerge(self) -> None:
        raise NotImplementedError
