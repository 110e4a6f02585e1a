"""The transformer feed-forward block: gated SwiGLU (LLaMA) and the plain GELU MLP (GPT-2/BERT).

Write two nn.Modules. x has shape (..., d_model) (any number of leading dims); both return
(..., d_model) in x's dtype, on x's device. d_ff is the hidden width (any size; LLaMA uses
about 8/3·d_model, GPT-2 4·d_model).

SwiGLU(d_model, d_ff, bias=False)
    w_gate = nn.Linear(d_model, d_ff)      weight (d_ff, d_model)
    w_up   = nn.Linear(d_model, d_ff)      weight (d_ff, d_model)
    w_down = nn.Linear(d_ff, d_model)      weight (d_model, d_ff)
    forward(x) = w_down( silu(w_gate(x)) * w_up(x) )        * is elementwise
    silu(z) = z · sigmoid(z) (also called Swish). The SiLU goes on the gate projection only;
    the up projection stays linear. In Meta's LLaMA code the same three matrices are called
    w1 (= w_gate), w3 (= w_up) and w2 (= w_down); in Hugging Face's, gate_proj, up_proj and
    down_proj. bias=False (the default, as in LLaMA) means no biases at all; bias=True
    gives all three projections a bias.

GeluMLP(d_model, d_ff, bias=True)
    fc_in  = nn.Linear(d_model, d_ff)      weight (d_ff, d_model)
    fc_out = nn.Linear(d_ff, d_model)      weight (d_model, d_ff)
    forward(x) = fc_out( gelu(fc_in(x)) )
    gelu is the EXACT GELU, x·Φ(x) with Φ the standard normal CDF (via erf): torch's default
    F.gelu(x) / nn.GELU(). The tanh approximation (GPT-2's "gelu_new",
    approximate="tanh") is NOT accepted: it differs by up to ~5e-4, which the float32 checks
    see. bias=True (the default) gives both projections a bias; bias=False none.

Both:
- The submodules have exactly these names (so a checkpoint loads with load_state_dict), and
  they are the only parameters. The grader loads its own weights; the init does not matter.
- No residual connection and no normalisation inside: the transformer block adds x + FFN(norm(x)).
- Precision: compute in the module's dtype (the grader converts the module with .to(dtype)
  to match x); float16/bfloat16 are compared at half-precision tolerance.
- Gradients must reach x and every parameter. Do not modify x in place.

Allowed: nn.Linear, F.linear, matmul, torch.sigmoid, F.silu, F.gelu (exact), torch.erf.
Not allowed: torch.nn.functional.glu (and the aten op behind it).

Example (SwiGLU(2, 3), no biases):
    w_gate.weight = [[1, 0], [0, 1], [1, 1]]    w_up.weight = [[1, 1], [2, 0], [0, -1]]
    w_down.weight = [[1, 0, 0], [0, 1, 1]]      x = [[1.0, 2.0]]
    w_gate(x) = [1, 2, 3] -> silu -> [0.7311, 1.7616, 2.8577]
    w_up(x)   = [3, 2, -2]
    product   = [2.1932, 3.5232, -5.7154]  ->  w_down: [[2.1932, -2.1923]]
    GELU, exact vs tanh: gelu(1.0) = 0.84134 vs 0.84119; gelu(-1.0) = -0.15866 vs -0.15881.
"""
import torch
from torch import nn


class SwiGLU(nn.Module):
    def __init__(self, d_model: int, d_ff: int, bias: bool = False):
        super().__init__()
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


class GeluMLP(nn.Module):
    def __init__(self, d_model: int, d_ff: int, bias: bool = True):
        super().__init__()
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError
