"""Classic wrong answers to the RMSNorm drill; each must fail the spec.

Every variant keeps the right structure (one parameter `weight`, ones at init) unless the
structure is the mistake, so the spec's load_state_dict works on all of them.
"""
import torch
from torch import nn

from grader.props import mistake


class _Norm(nn.Module):
    """RMSNorm with the normalisation in `norm` (float32 or wider); subclasses get it wrong."""

    default_eps = 1e-6

    def __init__(self, dim, eps=None):
        super().__init__()
        self.eps = self.default_eps if eps is None else eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        xf = x.to(torch.promote_types(x.dtype, torch.float32))
        return self.norm(xf).to(x.dtype) * self.weight

    def norm(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)


@mistake("eps_outside_sqrt", "eps added outside the square root: x / (sqrt(mean(x²)) + eps)", entry="RMSNorm",
         explain="The definition is x / sqrt(mean(x²) + eps). Outside the root eps has a different size "
                 "(1e-6 next to an RMS instead of next to a mean square); it shows on small inputs.")
class EpsOutsideSqrt(_Norm):
    def norm(self, x):
        return x / (x.pow(2).mean(-1, keepdim=True).sqrt() + self.eps)


@mistake("no_sqrt", "divided by the mean square instead of its square root", entry="RMSNorm",
         explain="x / (mean(x²) + eps) is not scale invariant: RMS is the SQUARE ROOT of the mean square.")
class NoSqrt(_Norm):
    def norm(self, x):
        return x / (x.pow(2).mean(-1, keepdim=True) + self.eps)


@mistake("no_eps", "no eps at all: x / sqrt(mean(x²))", entry="RMSNorm",
         explain="Without eps an all-zero vector gives 0/0 = NaN, and tiny inputs are blown up to RMS 1.")
class NoEps(_Norm):
    def norm(self, x):
        return x / x.pow(2).mean(-1, keepdim=True).sqrt()


@mistake("wrong_default_eps", "default eps is 1e-5 instead of 1e-6", entry="RMSNorm",
         explain="The prompt fixes the default at 1e-6 (LLaMA's code default; many configs pass 1e-5 "
                 "explicitly). Keep the constructor's default.")
class WrongDefaultEps(_Norm):
    default_eps = 1e-5


@mistake("mean_over_first_axis", "mean square over dim 0 instead of the last dim", entry="RMSNorm",
         explain="Each vector along the LAST dim (the features of one token) is normalised on its own: "
                 "mean(dim=-1, keepdim=True).")
class MeanOverFirstAxis(_Norm):
    def norm(self, x):
        return x * torch.rsqrt(x.pow(2).mean(0, keepdim=True) + self.eps)


@mistake("mean_over_all", "mean square over the whole tensor instead of per vector", entry="RMSNorm",
         explain="x.pow(2).mean() mixes all tokens (and the batch) into one statistic; RMSNorm is per "
                 "token: mean(dim=-1, keepdim=True).")
class MeanOverAll(_Norm):
    def norm(self, x):
        return x * torch.rsqrt(x.pow(2).mean() + self.eps)


@mistake("layernorm_centering", "mean subtracted first (LayerNorm without bias), not RMSNorm", entry="RMSNorm",
         explain="RMSNorm drops LayerNorm's centering: no x - mean(x), the root mean square of x itself.")
class LayerNormCentering(_Norm):
    def norm(self, x):
        centred = x - x.mean(-1, keepdim=True)
        return centred * torch.rsqrt(centred.pow(2).mean(-1, keepdim=True) + self.eps)


@mistake("variance_instead_of_mean_square", "x.var() (centred, Bessel-corrected) used for the mean square",
         entry="RMSNorm",
         explain="torch.var subtracts the mean and divides by n - 1 (NaN for dim = 1). The mean square is "
                 "x.pow(2).mean(-1): no centering, divide by n.")
class VarianceInsteadOfMeanSquare(_Norm):
    def norm(self, x):
        var = (x - x.mean(-1, keepdim=True)).pow(2).sum(-1, keepdim=True) / (x.shape[-1] - 1)  # = x.var(-1)
        return x * torch.rsqrt(var + self.eps)


@mistake("l2_normalize", "sqrt of the SUM of squares: L2 normalisation instead of RMS", entry="RMSNorm",
         explain="sqrt(sum(x²)) is the L2 norm, sqrt(dim) times the RMS; the output then has RMS 1/sqrt(dim).")
class L2Normalize(_Norm):
    def norm(self, x):
        return x * torch.rsqrt(x.pow(2).sum(-1, keepdim=True) + self.eps)


@mistake("no_upcast", "computed in the input's dtype: x² overflows float16 for |x| > 256", entry="RMSNorm",
         explain="float16's largest value is 65504, so x² = 300² is inf and the output collapses to 0. "
                 "Compute the mean square in float32 (x.float()) and cast the result back.")
class NoUpcast(_Norm):
    def forward(self, x):
        return self.norm(x) * self.weight


@mistake("returns_float32", "half-precision inputs come back as float32 (never cast back)", entry="RMSNorm",
         explain="After computing in float32, cast back to x's dtype (.type_as(x) or .to(x.dtype)).")
class ReturnsFloat32(_Norm):
    def forward(self, x):
        return self.norm(x.to(torch.promote_types(x.dtype, torch.float32))) * self.weight.float()


@mistake("weight_ignored", "the weight is never applied", entry="RMSNorm",
         explain="The learned per-feature gain multiplies the normalised vector: y = x / rms * weight.")
class WeightIgnored(_Norm):
    def forward(self, x):
        return self.norm(x.to(torch.promote_types(x.dtype, torch.float32))).to(x.dtype)


@mistake("weight_detached", "the weight is used through .detach() / .data: it gets no gradient", entry="RMSNorm",
         explain="The forward value is right but autograd never reaches the weight, so it never trains.")
class WeightDetached(_Norm):
    def forward(self, x):
        xf = x.to(torch.promote_types(x.dtype, torch.float32))
        return self.norm(xf).to(x.dtype) * self.weight.detach()


@mistake("weight_not_a_parameter", "weight is a plain tensor attribute, not an nn.Parameter", entry="RMSNorm",
         explain="A plain tensor is not in parameters() or state_dict(): the optimiser never sees it and a "
                 "checkpoint cannot load it. Wrap it: nn.Parameter(torch.ones(dim)).")
class WeightNotAParameter(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = torch.ones(dim)

    def forward(self, x):
        xf = x.to(torch.promote_types(x.dtype, torch.float32))
        y = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)
        return y.to(x.dtype) * self.weight.to(x.device, x.dtype)
