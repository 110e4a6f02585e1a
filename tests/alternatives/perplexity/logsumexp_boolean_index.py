"""Correct, differently written: keep only the real positions with boolean indexing first,
NLL as logsumexp(x) - x[target], log2 via torch.log2(e) factors."""
import math

import torch


def _real_nll(logits, targets, pad_id):
    keep = targets != pad_id
    x = logits[keep]                                   # (N, V)
    y = targets[keep]                                  # (N,)
    return torch.logsumexp(x, dim=-1) - x[torch.arange(y.numel(), device=x.device), y]


def perplexity(logits, targets, pad_id):
    return _real_nll(logits, targets, pad_id).mean().exp()


def bits_per_token(logits, targets, pad_id):
    return _real_nll(logits, targets, pad_id).mean() * math.log2(math.e)


def bits_per_char(logits, targets, pad_id, n_chars):
    return _real_nll(logits, targets, pad_id).sum() * math.log2(math.e) / n_chars
