"""Correct, differently written: the mean square by einsum, division instead of rsqrt."""
import torch
import torch.nn as nn


class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.variance_epsilon = eps

    def forward(self, hidden_states):
        input_dtype = hidden_states.dtype
        h = hidden_states.to(torch.float32) if input_dtype != torch.float64 else hidden_states
        mean_sq = torch.einsum("...d,...d->...", h, h).unsqueeze(-1) / h.shape[-1]
        h = h / (mean_sq + self.variance_epsilon).sqrt()
        return self.weight * h.to(input_dtype)
