"""Classic wrong answers to the SwiGLU / GELU MLP drill; each must fail the spec.

Every variant keeps the stated submodules (so the spec's load_state_dict works) unless the
structure is the mistake; each differs from the reference in one place.
"""
import torch
import torch.nn.functional as F
from torch import nn

from grader.props import mistake


class _SwiGLU(nn.Module):
    def __init__(self, d_model, d_ff, bias=False):
        super().__init__()
        self.w_gate = nn.Linear(d_model, d_ff, bias=bias)
        self.w_up = nn.Linear(d_model, d_ff, bias=bias)
        self.w_down = nn.Linear(d_ff, d_model, bias=bias)

    def forward(self, x):
        return self.w_down(self.hidden(x))

    def hidden(self, x):
        return F.silu(self.w_gate(x)) * self.w_up(x)


class _GeluMLP(nn.Module):
    def __init__(self, d_model, d_ff, bias=True):
        super().__init__()
        self.fc_in = nn.Linear(d_model, d_ff, bias=bias)
        self.fc_out = nn.Linear(d_ff, d_model, bias=bias)

    def forward(self, x):
        return self.fc_out(self.act(self.fc_in(x)))

    def act(self, h):
        return F.gelu(h)


@mistake("gate_up_swapped", "SiLU applied to the up projection instead of the gate", entry="SwiGLU",
         explain="silu(w_gate(x)) * w_up(x): the activation belongs to w_gate (LLaMA's w1); w_up (w3) stays "
                 "linear. With the roles swapped, a checkpoint's weights compute a different function.")
class GateUpSwapped(_SwiGLU):
    def hidden(self, x):
        return self.w_gate(x) * F.silu(self.w_up(x))


@mistake("sigmoid_gate", "sigmoid(w_gate x) instead of silu(w_gate x): the original GLU, not SwiGLU",
         entry="SwiGLU",
         explain="silu(z) = z·sigmoid(z). A plain sigmoid gate is Dauphin et al.'s GLU; Swish/SiLU keeps the "
                 "extra factor z (and silu(0) = 0, where sigmoid(0) = 1/2).")
class SigmoidGate(_SwiGLU):
    def hidden(self, x):
        return torch.sigmoid(self.w_gate(x)) * self.w_up(x)


@mistake("gelu_gate", "GELU gate (GeGLU) instead of SiLU", entry="SwiGLU",
         explain="GeGLU (T5 v1.1, Gemma) gates with GELU; SwiGLU (LLaMA, Mistral) with SiLU = z·sigmoid(z).")
class GeluGate(_SwiGLU):
    def hidden(self, x):
        return F.gelu(self.w_gate(x)) * self.w_up(x)


@mistake("no_up_projection", "w_up is never used: w_down(silu(w_gate(x))), an ungated two-matrix MLP",
         entry="SwiGLU",
         explain="The gated unit multiplies the activated gate elementwise by a second, linear projection "
                 "w_up(x); that third matrix is what makes it a GLU.")
class NoUpProjection(_SwiGLU):
    def hidden(self, x):
        return F.silu(self.w_gate(x))


@mistake("silu_on_product", "silu applied to the product: silu(w_gate(x) * w_up(x))", entry="SwiGLU",
         explain="Only the gate is activated: silu(w_gate(x)) * w_up(x), then w_down.")
class SiluOnProduct(_SwiGLU):
    def hidden(self, x):
        return F.silu(self.w_gate(x) * self.w_up(x))


@mistake("residual_inside", "the residual x is added inside the MLP", entry="SwiGLU",
         explain="The feed-forward module returns FFN(x) only; the transformer block adds the residual "
                 "(h = x + FFN(norm(x))). Adding it inside too counts x twice.")
class ResidualInsideSwiGLU(_SwiGLU):
    def forward(self, x):
        return x + super().forward(x)


@mistake("residual_inside", "", entry="GeluMLP")
class ResidualInsideGelu(_GeluMLP):
    def forward(self, x):
        return x + super().forward(x)


@mistake("gelu_tanh", "GELU with the tanh approximation (GPT-2's gelu_new) where the exact erf GELU is asked for",
         entry="GeluMLP",
         explain="0.5·z·(1 + tanh(√(2/π)(z + 0.044715 z³))) is within ~5e-4 of z·Φ(z), visible in float32. The "
                 "prompt asks for the exact GELU: F.gelu(z) (approximate='none') or z·0.5·(1 + erf(z/√2)).")
class GeluTanh(_GeluMLP):
    def act(self, h):
        return F.gelu(h, approximate="tanh")


@mistake("relu_instead_of_gelu", "ReLU instead of GELU", entry="GeluMLP",
         explain="GELU(z) = z·Φ(z) is smooth and slightly negative for z < 0; ReLU (the original Transformer's "
                 "FFN) is max(z, 0).")
class ReluInsteadOfGelu(_GeluMLP):
    def act(self, h):
        return F.relu(h)


@mistake("bias_flag_ignored", "the bias argument is ignored: nn.Linear's default bias=True everywhere",
         entry="SwiGLU",
         explain="nn.Linear(in, out) has a bias unless told bias=False; pass the constructor's flag on "
                 "(LLaMA's projections have no bias at all).")
class BiasFlagIgnoredSwiGLU(_SwiGLU):
    def __init__(self, d_model, d_ff, bias=False):
        super().__init__(d_model, d_ff, bias=True)


@mistake("bias_flag_ignored", "", entry="GeluMLP")
class BiasFlagIgnoredGelu(_GeluMLP):
    def __init__(self, d_model, d_ff, bias=True):
        super().__init__(d_model, d_ff, bias=True)
