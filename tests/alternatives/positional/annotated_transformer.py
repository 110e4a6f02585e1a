"""Correct, differently written: the Annotated Transformer's float32 table (exp/log frequencies,
strided assignment), the ALiBi paper's recursive slope code, and a bias built from a
distance matrix with torch.where."""
import math

import torch


def sinusoidal_positions(n_positions, d_model, device=None):
    pe = torch.zeros(n_positions, d_model, device=device)
    position = torch.arange(0, n_positions, device=device).unsqueeze(1).float()
    div_term = torch.exp(torch.arange(0, d_model, 2, device=device).float() * -(math.log(10000.0) / d_model))
    pe[:, 0::2] = torch.sin(position * div_term)
    pe[:, 1::2] = torch.cos(position * div_term)
    return pe


def _get_slopes(n):
    # the paper's reference code (ofirpress/attention_with_linear_biases)
    def get_slopes_power_of_2(n):
        start = 2 ** (-2 ** -(math.log2(n) - 3))
        ratio = start
        return [start * ratio ** i for i in range(n)]

    if math.log2(n).is_integer():
        return get_slopes_power_of_2(n)
    closest_power_of_2 = 2 ** math.floor(math.log2(n))
    return get_slopes_power_of_2(closest_power_of_2) + _get_slopes(2 * closest_power_of_2)[0::2][: n - closest_power_of_2]


def alibi_slopes(n_heads, device=None):
    return torch.tensor(_get_slopes(n_heads), device=device)


def alibi_bias(n_heads, lq, lk, device=None):
    dist = torch.arange(lk, device=device)[None, :] - torch.arange(lk - lq, lk, device=device)[:, None]
    slopes = alibi_slopes(n_heads, device=device).view(-1, 1, 1)
    return torch.where(dist <= 0, slopes * dist, torch.tensor(float("-inf"), device=device))
