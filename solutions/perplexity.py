"""Reference: perplexity, bits per token and bits per character from aligned logits.

Left out on purpose: the shift of a causal LM's logits (the caller aligns them), sliding
windows / strides for texts longer than the context, per-document reporting, and
half-precision inputs.
"""
import math

import torch


def _nll_sum_and_count(logits, targets, pad_id):
    """Σ NLL over the non-pad targets, and their number N (both 0-dim tensors)."""
    # logits (B, T, V), targets (B, T)
    # subtle: log_softmax, never log(softmax): a probability of exp(-150) is 0 in float32
    logp = torch.log_softmax(logits, dim=-1)                       # (B, T, V)
    nll = -logp.gather(-1, targets.unsqueeze(-1)).squeeze(-1)       # (B, T), nats
    keep = targets != pad_id                                        # (B, T)
    # the NLL at a pad position is computed (against pad_id, a valid id) and then dropped here
    total = torch.where(keep, nll, torch.zeros_like(nll)).sum()
    return total, keep.sum()


def perplexity(logits, targets, pad_id):
    total, n = _nll_sum_and_count(logits, targets, pad_id)
    # a token-weighted mean over the whole batch, then exp (not a mean of per-row perplexities)
    return torch.exp(total / n).to(logits.dtype)


def bits_per_token(logits, targets, pad_id):
    total, n = _nll_sum_and_count(logits, targets, pad_id)
    return (total / n / math.log(2)).to(logits.dtype)               # nats -> bits


def bits_per_char(logits, targets, pad_id, n_chars):
    total, _ = _nll_sum_and_count(logits, targets, pad_id)
    # total information in bits, spread over the characters of the text: tokenizer-independent
    return (total / math.log(2) / n_chars).to(logits.dtype)
