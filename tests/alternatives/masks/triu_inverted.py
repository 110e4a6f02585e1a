"""Correct, differently written: build the HIDDEN positions with triu / comparisons, then invert."""
import torch


def padding_mask_from_lengths(lengths, max_len, left_padded=False):
    pos = torch.arange(max_len, device=lengths.device)
    n_pad = max_len - lengths
    hidden = pos >= lengths[:, None] if not left_padded else pos < n_pad[:, None]
    return ~hidden


def padding_mask_from_ids(ids, pad_id):
    return ~(ids == pad_id)


def causal_mask(lq, lk=None, device=None):
    lk = lq if lk is None else lk
    future = torch.triu(torch.ones(lq, lk, device=device), diagonal=lk - lq + 1).bool()
    return ~future


def attention_mask(key_padding, lq=None, causal=True):
    lk = key_padding.shape[-1]
    lq = lk if lq is None else lq
    allowed = torch.ones(key_padding.shape[0], 1, lq, lk, dtype=torch.bool, device=key_padding.device)
    allowed = allowed & key_padding.unsqueeze(1).unsqueeze(1)
    if causal:
        allowed &= causal_mask(lq, lk, device=key_padding.device)
    return allowed
