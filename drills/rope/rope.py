"""Rotary position embedding (RoPE).

Write `apply_rope(x, positions, theta=10000.0, interleaved=False)`, which rotates pairs
of channels of each query/key vector by an angle that grows with its position, so that
after RoPE the dot product q_m · k_n depends only on the offset m - n.

Shapes:
    x          (..., L, D)   floating point; D is even. Leading dims are batch/heads.
    positions  integer tensor of shape (L,), or any shape that broadcasts to x.shape[:-1]
               without making it larger, e.g. (B, 1, L) for x of shape (B, H, L, D) when
               each sequence in the batch has its own positions. Positions need not be
               0..L-1: they can start anywhere, repeat, or be out of order.
Returns a tensor of x's shape and dtype, on x's device.

Frequencies and angles, for i = 0 .. D/2 - 1:
    inv_freq[i] = theta ** (-2i / D)             (inv_freq[0] = 1; theta is the base)
    angle[..., l, i] = positions[..., l] * inv_freq[i]
Each pair (a, b) of x is rotated by its angle:
    (a, b) -> (a·cos(angle) - b·sin(angle),  a·sin(angle) + b·cos(angle))
Which channels form pair i:
    interleaved=False (rotate-half, as in Hugging Face LLaMA):     (x[i], x[i + D/2])
    interleaved=True  (RoFormer paper, Meta's original LLaMA code): (x[2i], x[2i + 1])
The result keeps each channel in its place: for rotate-half the first halves of the
pairs stay in the first half of the output.

Precision: compute inv_freq, the angles, cos and sin in float32 for float16, bfloat16 and
float32 inputs, and in float64 for float64 inputs. (In bfloat16 the numbers near 2000 are
8 apart, so an angle computed there is off by whole radians.) The multiplications with
x may run in float32 or in x's dtype; cast the result back to x's dtype.

Do not modify x in place. Anything from torch is allowed (torch.polar / complex numbers too).

Example (D = 4, theta = 10000, so inv_freq = [1, 0.01]; one vector at position 1):
    x = torch.tensor([[1., 2., 3., 4.]]); positions = torch.tensor([1])
    rotate-half: pairs (1, 3) by 1 rad and (2, 4) by 0.01 rad
        apply_rope(x, positions)                   ≈ [[-1.9841, 1.9599, 2.4624, 4.0198]]
    interleaved: pairs (1, 2) by 1 rad and (3, 4) by 0.01 rad
        apply_rope(x, positions, interleaved=True) ≈ [[-1.1426, 1.9221, 2.9599, 4.0298]]
"""
import torch


def apply_rope(x: torch.Tensor, positions: torch.Tensor, theta: float = 10000.0,
               interleaved: bool = False) -> torch.Tensor:
    raise NotImplementedError
