"""Sinusoidal position encodings and ALiBi.

Write three functions. Each returns a float32 tensor created on `device` (None means the
CPU).

sinusoidal_positions(n_positions, d_model, device=None) -> (n_positions, d_model)
    The fixed encodings of "Attention Is All You Need". d_model is even; pair i
    (i = 0 .. d_model/2 - 1) holds one frequency, its sine and cosine INTERLEAVED:
        PE[pos, 2i]     = sin(pos / 10000^(2i / d_model))
        PE[pos, 2i + 1] = cos(pos / 10000^(2i / d_model))
    for pos = 0 .. n_positions - 1. (Not the layout with all sines first and all cosines
    after.) Computing the angles in float32 or float64 is both fine.

alibi_slopes(n_heads, device=None) -> (n_heads,)
    The per-head slopes of ALiBi (Press et al., "Train Short, Test Long").
    If n_heads is a power of two, the geometric sequence
        slope_h = 2^(-8 (h + 1) / n_heads),   h = 0 .. n_heads - 1,
    so 8 heads get 1/2, 1/4, ..., 1/256, and 16 heads 2^-0.5, 2^-1, ..., 2^-8.
    Otherwise, as in the paper's reference code: let m be the largest power of two below
    n_heads; the first m slopes are those of m heads, followed by every other slope of
    2m heads, starting with the first (indices 0, 2, 4, ...), until there are n_heads:
        alibi_slopes(6) = slopes(4) + [slopes(8)[0], slopes(8)[2]]
                        = [1/4, 1/16, 1/64, 1/256, 1/2, 1/8]
    (The order matters: the result is not sorted.)

alibi_bias(n_heads, lq, lk, device=None) -> (n_heads, lq, lk)
    The additive bias for causal attention scores, 1 <= lq <= lk. The lq queries are the
    LAST lq of the lk positions (decoding with a KV cache that already holds lk - lq
    tokens), so query i sits at position i + (lk - lq). With slope_h = alibi_slopes(n_heads)[h]:
        bias[h, i, j] = slope_h * (j - (i + lk - lq))   for j <= i + lk - lq  (the past and itself)
        bias[h, i, j] = -inf                             for j >  i + lk - lq  (the future)
    So the bias is 0 for a query's own position, -slope_h one step back, -2·slope_h two
    steps back..., and it is also the causal mask: scores + bias go straight into a softmax.

Anything from torch and math is allowed (loops, arange, broadcasting...).

Example:
    sinusoidal_positions(3, 4)
        -> [[0.0000,  1.0000, 0.0000, 1.0000],
            [0.8415,  0.5403, 0.0100, 0.99995],    # sin 1, cos 1, sin 0.01, cos 0.01
            [0.9093, -0.4161, 0.0200, 0.9998]]     # sin 2, cos 2, sin 0.02, cos 0.02
    alibi_slopes(8) -> [0.5, 0.25, 0.125, 0.0625, 0.03125, 0.015625, 0.0078125, 0.00390625]
    alibi_bias(2, 2, 4)             # slopes(2) = [1/16, 1/256]; queries at positions 2 and 3
        -> [[[-0.125, -0.0625,  0.0, -inf],
             [-0.1875, -0.125, -0.0625, 0.0]],
            [[-0.0078125, -0.00390625, 0.0, -inf],
             [-0.01171875, -0.0078125, -0.00390625, 0.0]]]
"""
import torch


def sinusoidal_positions(n_positions: int, d_model: int,
                         device: torch.device | str | None = None) -> torch.Tensor:
    raise NotImplementedError


def alibi_slopes(n_heads: int, device: torch.device | str | None = None) -> torch.Tensor:
    raise NotImplementedError


def alibi_bias(n_heads: int, lq: int, lk: int, device: torch.device | str | None = None) -> torch.Tensor:
    raise NotImplementedError
