"""RMSNorm: root-mean-square layer normalization (LLaMA, Mistral, Gemma...).

Write the module `RMSNorm(dim, eps=1e-6)`. For x of shape (..., dim):

    y = x / sqrt(mean(x², over the last dim) + eps) * weight

- `weight` is an nn.Parameter of shape (dim,), initialised to ones (float32, the default
  dtype). It is the module's only state: state_dict() holds exactly one entry, "weight"
  (keep eps a plain float attribute). No bias, and no mean subtraction (that would be
  LayerNorm).
- eps is added INSIDE the square root; its default is 1e-6. An all-zero vector therefore
  gives zeros, not NaN.
- forward(x): any number of leading dims (x may also be 1-D); each vector along the last
  dim is normalised on its own. Returns the shape and dtype of x, on x's device.
- Precision: for float16 / bfloat16 inputs compute the mean square and the normalisation
  in float32 and cast the result back to x's dtype (in float16, x² overflows to inf once
  |x| > 256). float32 and float64 inputs may be computed in their own dtype (computing
  float64 in float32 is within tolerance too).
- The weight has the module's dtype and device: the grader moves the module with
  .to(device=..., dtype=...) to match x. Multiplying by the weight before casting back (in float32) or after (in x's
  dtype, the order Meta's LLaMA code uses) are both accepted.
- Gradients must reach both x and weight (no .data, no .detach() on the weight).
- Do not modify x in place.

Not allowed: torch.nn.RMSNorm, torch.nn.functional.rms_norm, torch.rms_norm (and the
aten ops behind them). Your own class is of course called RMSNorm.

Example:
    m = RMSNorm(2)                     # weight = [1., 1.]
    m(torch.tensor([[3.0, 4.0]]))      # mean(x²) = (9 + 16) / 2 = 12.5, sqrt ≈ 3.5355
    -> tensor([[0.8485, 1.1314]])      # output RMS is 1 (weight all ones)
"""
import torch
from torch import nn


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float = 1e-6):
        super().__init__()
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError
