"""Classic wrong answers to the positional drill; each must fail the spec."""
import torch

from grader.props import mistake


def _table(n, d, inv_freq, device, first=torch.sin, second=torch.cos, interleave=True):
    pos = torch.arange(n, dtype=torch.float64, device=device)[:, None]
    angles = pos * inv_freq.to(device)[None, :]  # (n, d/2)
    a, b = first(angles), second(angles)
    pe = torch.stack((a, b), -1).flatten(-2) if interleave else torch.cat((a, b), -1)
    return pe.to(torch.float32)


def _inv_freq(d):
    return 10000.0 ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)


@mistake("sin_cos_swapped", "cos in the even channels and sin in the odd ones", entry="sinusoidal_positions",
         explain="PE[pos, 2i] is the sine and PE[pos, 2i+1] the cosine: row 0 must read 0, 1, 0, 1, ...")
def sin_cos_swapped(n_positions, d_model, device=None):
    return _table(n_positions, d_model, _inv_freq(d_model), device, first=torch.cos, second=torch.sin)


@mistake("exponent_i_over_d", "frequencies 10000^(-i/d) with the pair index i instead of 10000^(-2i/d)",
         entry="sinusoidal_positions",
         explain="The exponent is 2i/d where 2i is the even channel index (0, 2, 4, ...); with i/d the slowest "
                 "pair only reaches 10000^(-1/2) instead of nearly 10000^(-1).")
def exponent_i_over_d(n_positions, d_model, device=None):
    i = torch.arange(d_model // 2, dtype=torch.float64)
    return _table(n_positions, d_model, 10000.0 ** (-i / d_model), device)


@mistake("cos_uses_odd_channel_index", "the cosine channel 2i+1 uses exponent (2i+1)/d instead of sharing 2i/d",
         entry="sinusoidal_positions",
         explain="Channels 2i and 2i+1 are the sine and cosine of the SAME angle; the paper's 10000^(2i/d) uses "
                 "the even index for both.")
def cos_uses_odd_channel_index(n_positions, d_model, device=None):
    pos = torch.arange(n_positions, dtype=torch.float64, device=device)[:, None]
    j = torch.arange(d_model, dtype=torch.float64, device=device)
    angles = pos / 10000.0 ** (j / d_model)  # (n, d): every channel its own frequency
    return torch.where(j.long() % 2 == 0, angles.sin(), angles.cos()).to(torch.float32)


@mistake("sines_then_cosines", "all sines first, then all cosines (concatenated, not interleaved)",
         entry="sinusoidal_positions",
         explain="The tensor2tensor layout [sin..., cos...] is a permutation of the channels; this drill asks for "
                 "the paper's interleaved layout sin, cos, sin, cos, ...")
def sines_then_cosines(n_positions, d_model, device=None):
    return _table(n_positions, d_model, _inv_freq(d_model), device, interleave=False)


def _geometric(n):
    return [2.0 ** (-8.0 * k / n) for k in range(1, n + 1)]


@mistake("slopes_rounded_up_and_truncated", "slopes of the next power of two, truncated to n_heads",
         entry="alibi_slopes",
         explain="For 6 heads the paper does not take the first 6 of 8 heads' slopes (1/2 .. 1/64): it takes "
                 "4 heads' slopes and adds every other slope of 8 heads.")
def slopes_rounded_up(n_heads, device=None):
    n = 1 << (n_heads - 1).bit_length()
    return torch.tensor(_geometric(n)[:n_heads], dtype=torch.float32, device=device)


@mistake("slopes_geometric_for_any_n", "2^(-8k/n) for every n, ignoring the paper's rule for non-powers of two",
         entry="alibi_slopes",
         explain="The closed form 2^(-8k/n) is the paper's rule only when n is a power of two.")
def slopes_geometric(n_heads, device=None):
    return torch.tensor(_geometric(n_heads), dtype=torch.float32, device=device)


def _slopes(n, device):
    m = 1 << (n.bit_length() - 1)
    s = _geometric(n) if m == n else _geometric(m) + _geometric(2 * m)[0::2][: n - m]
    return torch.tensor(s, dtype=torch.float32, device=device)


@mistake("bias_sign_flipped", "bias +slope·distance (rewards distant keys) instead of -slope·distance",
         entry="alibi_bias",
         explain="ALiBi penalises distance: bias = slope · (j - i) is <= 0 for past keys, so far keys get lower "
                 "scores.")
def bias_sign_flipped(n_heads, lq, lk, device=None):
    q = torch.arange(lq, device=device)[:, None] + (lk - lq)
    k = torch.arange(lk, device=device)[None, :]
    rel = (q - k).to(torch.float32)
    return (_slopes(n_heads, device)[:, None, None] * rel).masked_fill(rel < 0, float("-inf"))


@mistake("bias_ignores_cache_offset", "query i treated as position i, not i + (lk - lq)", entry="alibi_bias",
         explain="With a KV cache the lq new queries are the LAST lq positions: distances and the causal cut "
                 "are measured from i + (lk - lq).")
def bias_no_offset(n_heads, lq, lk, device=None):
    q = torch.arange(lq, device=device)[:, None]
    k = torch.arange(lk, device=device)[None, :]
    rel = (k - q).to(torch.float32)
    return (_slopes(n_heads, device)[:, None, None] * rel).masked_fill(rel > 0, float("-inf"))
