"""Classic wrong answers to the LoRA drill; each must fail the spec.

Each variant is a small subclass of `_LoRA` (a correct LoRALinear written with hooks)
that changes one thing.
"""
import math

import torch
from torch import nn

from grader.props import mistake


class _LoRA(nn.Module):
    """Correct, with the pieces the variants change pulled out into methods."""

    def __init__(self, base, r, alpha, dropout=0.0):
        super().__init__()
        self.base = base
        self.freeze()
        self.scale = self.scaling(r, alpha)
        self.init_factors(r, base.in_features, base.out_features, base.weight)
        self.dropout = nn.Dropout(dropout)
        self.merged = False

    def freeze(self):
        for p in self.base.parameters():
            p.requires_grad_(False)

    def scaling(self, r, alpha):
        return alpha / r

    def init_factors(self, r, n_in, n_out, w):
        self.lora_A = nn.Parameter(torch.empty(r, n_in, dtype=w.dtype, device=w.device))
        self.lora_B = nn.Parameter(torch.zeros(n_out, r, dtype=w.dtype, device=w.device))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))

    def lora(self, x):
        return self.dropout(x) @ self.lora_A.T @ self.lora_B.T * self.scale

    def forward(self, x):
        y = self.base(x)
        return y if self.merged else y + self.lora(x)

    def delta(self):
        return self.lora_B @ self.lora_A * self.scale

    @torch.no_grad()
    def merge(self):
        if not self.merged:
            self.base.weight += self.delta()
            self.merged = True

    @torch.no_grad()
    def unmerge(self):
        if self.merged:
            self.base.weight -= self.delta()
            self.merged = False


@mistake("scale_inverted", "scale is r / alpha instead of alpha / r", entry="LoRALinear",
         explain="The LoRA update is multiplied by alpha / r: raising the rank r (with alpha fixed) "
                 "makes each rank-1 direction count less, not more.")
class ScaleInverted(_LoRA):
    def scaling(self, r, alpha):
        return r / alpha


@mistake("no_scale", "the LoRA update is not multiplied by alpha / r", entry="LoRALinear",
         explain="y = base(x) + (x Aᵀ Bᵀ)·alpha/r. Without the factor, the learning rate you tuned for "
                 "one rank stops working for another.")
class NoScale(_LoRA):
    def scaling(self, r, alpha):
        return 1.0


@mistake("b_random_init", "lora_B initialised randomly instead of to zeros", entry="LoRALinear",
         explain="With B = 0 the adapter starts as an exact copy of the pretrained layer; a random B "
                 "perturbs the model before any training.", diagnosable=False)
class BRandom(_LoRA):
    def init_factors(self, r, n_in, n_out, w):
        super().init_factors(r, n_in, n_out, w)
        nn.init.kaiming_uniform_(self.lora_B, a=math.sqrt(5))


@mistake("init_swapped", "lora_A initialised to zeros and lora_B randomly (swapped)", entry="LoRALinear",
         explain="The output is still base(x) at the start, but dL/dB = g·(A x)ᵀ = 0 and dL/dA = Bᵀ g xᵀ "
                 "moves A first; the convention (and peft's) is A random, B = 0.", diagnosable=False)
class InitSwapped(_LoRA):
    def init_factors(self, r, n_in, n_out, w):
        self.lora_A = nn.Parameter(torch.zeros(r, n_in, dtype=w.dtype, device=w.device))
        self.lora_B = nn.Parameter(torch.empty(n_out, r, dtype=w.dtype, device=w.device))
        nn.init.kaiming_uniform_(self.lora_B, a=math.sqrt(5))


@mistake("base_not_frozen", "the base layer is not frozen (its weight and bias still get gradients)",
         entry="LoRALinear",
         explain="Set requires_grad_(False) on base.weight and base.bias: the point of LoRA is that only "
                 "r·(in + out) numbers train and need optimizer state.")
class NotFrozen(_LoRA):
    def freeze(self):
        pass


@mistake("bias_added_twice", "the base bias is added a second time (base(x) already includes it)",
         entry="LoRALinear",
         explain="base(x) = x Wᵀ + b already; adding base.bias again on top of the LoRA branch shifts every output.")
class BiasTwice(_LoRA):
    def forward(self, x):
        y = super().forward(x)
        return y + self.base.bias if self.base.bias is not None else y


@mistake("factors_transposed", "lora_A stored as (in, r) and lora_B as (r, out): the factors transposed",
         entry="LoRALinear",
         explain="The convention (peft, the LoRA paper) is lora_A (r, in) and lora_B (out, r), like nn.Linear "
                 "weights (out, in); checkpoints will not load otherwise.")
class FactorsTransposed(_LoRA):
    def init_factors(self, r, n_in, n_out, w):
        self.lora_A = nn.Parameter(torch.empty(n_in, r, dtype=w.dtype, device=w.device))
        self.lora_B = nn.Parameter(torch.zeros(r, n_out, dtype=w.dtype, device=w.device))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))

    def lora(self, x):
        return self.dropout(x) @ self.lora_A @ self.lora_B * self.scale

    def delta(self):
        return (self.lora_A @ self.lora_B).T * self.scale


@mistake("merge_without_scale", "merge() adds B @ A without the alpha / r scale", entry="LoRALinear",
         explain="The forward adds (x Aᵀ Bᵀ)·alpha/r, so the weight it is equivalent to is W + (B @ A)·alpha/r.")
class MergeNoScale(_LoRA):
    def delta(self):
        return self.lora_B @ self.lora_A


@mistake("merge_reshaped", "merge() computes Aᵀ @ Bᵀ (shape (in, out)) and reshapes it to (out, in) "
                           "instead of using B @ A", entry="LoRALinear",
         explain="x Aᵀ Bᵀ = x (B A)ᵀ, so the weight update is B @ A, already (out, in). Reshaping an (in, out) "
                 "matrix scrambles it; a transpose would be right, a reshape is not.")
class MergeReshaped(_LoRA):
    def delta(self):
        return (self.lora_A.T @ self.lora_B.T).reshape(self.base.weight.shape) * self.scale


@mistake("merge_unfreezes_base", "merge() replaces base.weight with a new, trainable nn.Parameter",
         entry="LoRALinear",
         explain="nn.Parameter(...) defaults to requires_grad=True, so the merged base starts training again. "
                 "Add in place under torch.no_grad() (or pass requires_grad=False).")
class MergeUnfreezes(_LoRA):
    @torch.no_grad()
    def merge(self):
        if not self.merged:
            self.base.weight = nn.Parameter(self.base.weight + self.delta())
            self.merged = True


@mistake("lora_after_merge", "after merge() the forward still adds the LoRA branch (the update counts twice)",
         entry="LoRALinear",
         explain="Once B @ A is folded into base.weight, forward must skip the LoRA branch (check self.merged).")
class LoraAfterMerge(_LoRA):
    def forward(self, x):
        return self.base(x) + self.lora(x)


@mistake("merge_twice_adds", "merge() called twice adds the update twice (no merged check in merge())",
         entry="LoRALinear",
         explain="Keep a merged flag and make merge() a no-op when it is set (peft warns and returns).")
class MergeTwice(_LoRA):
    @torch.no_grad()
    def merge(self):
        self.base.weight += self.delta()
        self.merged = True


@mistake("unmerge_twice_subtracts", "unmerge() called when not merged subtracts the update anyway",
         entry="LoRALinear",
         explain="unmerge() must be a no-op unless merged: a second unmerge() would leave W - (B @ A)·alpha/r.")
class UnmergeTwice(_LoRA):
    @torch.no_grad()
    def unmerge(self):
        self.base.weight -= self.delta()
        self.merged = False


@mistake("merged_flag_ignored", "neither merge() nor unmerge() checks the merged flag", entry="LoRALinear",
         explain="Both must look at self.merged first: merge() only when not merged, unmerge() only when merged; "
                 "otherwise repeated calls add or subtract the update again.")
class MergedFlagIgnored(MergeTwice, UnmergeTwice):
    pass


@mistake("dropout_on_base", "dropout applied to x before the base layer too", entry="LoRALinear",
         explain="LoRA's dropout regularises the adapter only: dropout(x) feeds the LoRA branch, base(x) sees x.",
         diagnosable=False)
class DropoutOnBase(_LoRA):
    def forward(self, x):
        x = self.dropout(x)
        return self.base(x) if self.merged else self.base(x) + x @ self.lora_A.T @ self.lora_B.T * self.scale


@mistake("dropout_ignored", "the dropout argument is ignored (no dropout in training mode)", entry="LoRALinear",
         explain="Apply nn.Dropout(p) to the LoRA branch's input; it is active in train() mode only.")
class DropoutIgnored(_LoRA):
    def lora(self, x):
        return x @ self.lora_A.T @ self.lora_B.T * self.scale


@mistake("dropout_in_eval", "dropout stays on in eval() mode (F.dropout without training=self.training)",
         entry="LoRALinear",
         explain="F.dropout(x, p) defaults to training=True; pass training=self.training or use an nn.Dropout "
                 "submodule, which model.eval() switches off.", diagnosable=False)
class DropoutInEval(_LoRA):
    def lora(self, x):
        p = self.dropout.p
        return nn.functional.dropout(x, p) @ self.lora_A.T @ self.lora_B.T * self.scale


@mistake("dropout_not_rescaled", "dropout mask applied without dividing the kept values by 1 - p",
         entry="LoRALinear",
         explain="Inverted dropout scales the kept values by 1/(1 - p) in training so that eval() needs no "
                 "correction; nn.Dropout does it for you.", diagnosable=False)
class DropoutNotRescaled(_LoRA):
    def lora(self, x):
        if self.training and self.dropout.p > 0:
            x = x * (torch.rand_like(x) >= self.dropout.p)
        return x @ self.lora_A.T @ self.lora_B.T * self.scale
