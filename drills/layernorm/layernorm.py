"""LayerNorm: normalise each feature vector to mean 0 and variance 1, then scale and shift.

Write the module `LayerNorm(normalized_shape, eps=1e-5, elementwise_affine=True, bias=True)`
(torch.nn.LayerNorm's signature, for an int `normalized_shape` = D). For x of shape (..., D):

    mean = mean of x over the last dim
    var  = mean of (x - mean)² over the last dim      biased: divide by D, not D - 1
    y    = (x - mean) / sqrt(var + eps) * weight + bias

- Parameters, as in torch: `weight` of shape (D,), initialised to ones, and `bias` of shape
  (D,), initialised to zeros, both nn.Parameters (float32 at construction).
  bias=False: no bias parameter (only weight). elementwise_affine=False: no parameters at
  all (set self.weight and self.bias to None, e.g. with register_parameter(name, None)).
  The state_dict holds exactly the parameters that exist; eps is a plain float attribute.
- eps is added INSIDE the square root; its default is 1e-5 (torch's). A constant vector
  therefore normalises to zeros (then + bias), not NaN.
- forward(x): any number of leading dims (x may be 1-D); each vector along the last dim is
  normalised on its own. Returns x's shape and dtype, on x's device.
- Precision: for float16 / bfloat16 inputs compute the statistics and the normalisation in
  float32 and cast the result back to x's dtype (in float16, (x - mean)² overflows to inf
  once |x - mean| > 256). Applying weight and bias before the cast or after it are both
  accepted. The parameters have the module's dtype: the grader converts the module with
  .to(dtype) to match x.
- Centre first, then square (two passes over the vector). E[x²] - E[x]² is the same in exact
  arithmetic but, in float32, loses every digit of the variance when the features share a
  large offset (values around 3000 with spread 1): such inputs are checked.
- Gradients must reach x, weight and bias. Do not modify x in place.

Not allowed: torch.nn.LayerNorm, torch.nn.functional.layer_norm, torch.layer_norm,
torch.native_layer_norm (and the aten ops behind them), torch.nn.functional.group_norm /
instance_norm / batch_norm. mean, var (mind its default!), sqrt, rsqrt are fine; your own
class is of course called LayerNorm.

Example:
    m = LayerNorm(3)                       # weight = [1, 1, 1], bias = [0, 0, 0]
    m(torch.tensor([[1.0, 2.0, 6.0]]))     # mean 3, x - mean = [-2, -1, 3], var = 14/3 ≈ 4.6667
    -> tensor([[-0.9258, -0.4629, 1.3887]])   # (x - mean) / sqrt(4.6667 + 1e-5)
    (dividing by D - 1 = 2 instead, var = 7, would give [-0.7559, -0.3780, 1.1339])
"""
import torch
from torch import nn


class LayerNorm(nn.Module):
    def __init__(self, normalized_shape: int, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True):
        super().__init__()
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError
