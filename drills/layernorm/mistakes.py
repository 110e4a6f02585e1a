"""Classic wrong answers to the LayerNorm drill; each must fail the spec.

Every variant keeps the right structure (weight ones, bias zeros, created as the flags say)
unless the structure is the mistake, so the spec's load_state_dict works on all of them.
"""
import torch
from torch import nn

from grader.props import mistake


class _Norm(nn.Module):
    """LayerNorm with the normalisation in `norm` (float32 or wider); subclasses get it wrong."""

    default_eps = 1e-5

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, bias=True):
        super().__init__()
        self.eps = self.default_eps if eps is None else eps
        if elementwise_affine:
            self.weight = nn.Parameter(torch.ones(normalized_shape))
            self.bias = nn.Parameter(torch.zeros(normalized_shape)) if bias else None
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, x):
        xf = x.to(torch.promote_types(x.dtype, torch.float32))
        return self.affine(self.norm(xf)).to(x.dtype)

    def norm(self, x):
        c = x - x.mean(-1, keepdim=True)
        return c * torch.rsqrt(c.pow(2).mean(-1, keepdim=True) + self.eps)

    def affine(self, y):
        if self.weight is not None:
            y = y * self.weight.to(y.dtype)
        if self.bias is not None:
            y = y + self.bias.to(y.dtype)
        return y


@mistake("unbiased_variance", "variance with Bessel's correction (divides by D - 1), e.g. x.var(-1)",
         entry="LayerNorm",
         explain="torch.var / x.var() default to the unbiased estimate, sum / (D - 1). LayerNorm uses the "
                 "biased one, sum / D: x.var(-1, unbiased=False) (correction=0), or ((x - mean)²).mean(-1).")
class UnbiasedVariance(_Norm):
    def norm(self, x):
        c = x - x.mean(-1, keepdim=True)
        return c * torch.rsqrt(c.pow(2).sum(-1, keepdim=True) / (x.shape[-1] - 1) + self.eps)


@mistake("eps_outside_sqrt", "eps added outside the square root: (x - mean) / (std + eps)", entry="LayerNorm",
         explain="The definition is (x - mean) / sqrt(var + eps). Outside the root eps is compared with a "
                 "standard deviation instead of a variance; it shows on inputs with a tiny spread.")
class EpsOutsideSqrt(_Norm):
    def norm(self, x):
        c = x - x.mean(-1, keepdim=True)
        return c / (c.pow(2).mean(-1, keepdim=True).sqrt() + self.eps)


@mistake("normalise_over_batch", "mean and variance over dim 0 (the batch) instead of the last dim",
         entry="LayerNorm",
         explain="That is BatchNorm's axis. LayerNorm normalises each vector along the LAST dim (one token's "
                 "features) on its own: mean(-1, keepdim=True).")
class NormaliseOverBatch(_Norm):
    def norm(self, x):
        c = x - x.mean(0, keepdim=True)
        return c * torch.rsqrt(c.pow(2).mean(0, keepdim=True) + self.eps)


@mistake("bias_forgotten", "the bias parameter exists but is never added", entry="LayerNorm",
         explain="y = normalised * weight + bias: with the bias left out the module matches only while the "
                 "bias is still zero (at init).")
class BiasForgotten(_Norm):
    def affine(self, y):
        return y * self.weight.to(y.dtype) if self.weight is not None else y


@mistake("no_mean_subtraction", "no mean subtracted: divides by the root mean square (RMSNorm)", entry="LayerNorm",
         explain="LayerNorm centres first: (x - mean) / sqrt(var + eps). Without the centring it is RMSNorm, "
                 "and a constant offset shared by all features is not removed.")
class NoMeanSubtraction(_Norm):
    def norm(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)


@mistake("one_pass_variance", "variance as E[x²] - E[x]²: catastrophic cancellation for large offsets",
         entry="LayerNorm",
         explain="Algebraically right, numerically not: for values near 3000 with spread 1, E[x²] ≈ 9e6 is "
                 "rounded to ~1 in float32 before the subtraction, so the variance loses all its digits (or "
                 "goes negative). Centre first, then square (or use Welford's update).")
class OnePassVariance(_Norm):
    def norm(self, x):
        mean = x.mean(-1, keepdim=True)
        var = x.pow(2).mean(-1, keepdim=True) - mean.pow(2)
        return (x - mean) * torch.rsqrt(var + self.eps)


@mistake("wrong_default_eps", "default eps is 1e-6 instead of 1e-5", entry="LayerNorm",
         explain="torch.nn.LayerNorm (and the prompt) default to eps = 1e-5; 1e-6 is RMSNorm's (LLaMA) default.")
class WrongDefaultEps(_Norm):
    default_eps = 1e-6


@mistake("no_upcast", "computed in the input's dtype: (x - mean)² overflows float16", entry="LayerNorm",
         explain="float16's largest value is 65504, so a centred value of 300 squares to inf and the output "
                 "collapses. Compute the statistics in float32 (x.float()) and cast the result back.")
class NoUpcast(_Norm):
    def forward(self, x):
        y = self.norm(x)
        if self.weight is not None:
            y = y * self.weight
        if self.bias is not None:
            y = y + self.bias
        return y


@mistake("returns_float32", "half-precision inputs come back as float32 (never cast back)", entry="LayerNorm",
         explain="After computing in float32, cast back to x's dtype (.to(x.dtype) or .type_as(x)).")
class ReturnsFloat32(_Norm):
    def forward(self, x):
        return self.affine(self.norm(x.to(torch.promote_types(x.dtype, torch.float32))))


@mistake("bias_flag_ignored", "a bias is created even with bias=False", entry="LayerNorm",
         explain="bias=False (as in many modern models) means no bias parameter at all: the state_dict then holds "
                 "only 'weight'. Create the bias only when asked for.")
class BiasFlagIgnored(_Norm):
    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, bias=True):
        super().__init__(normalized_shape, eps, elementwise_affine, True)


@mistake("params_without_affine", "weight and bias are created even with elementwise_affine=False", entry="LayerNorm",
         explain="elementwise_affine=False means a plain normalisation with no parameters (torch sets weight and "
                 "bias to None); extra parameters break loading such a checkpoint.")
class ParamsWithoutAffine(_Norm):
    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, bias=True):
        super().__init__(normalized_shape, eps, True, bias)
