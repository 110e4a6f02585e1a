"""Correct, differently written: explicit index grids, flip for left padding, logical_and."""
import torch


def padding_mask_from_lengths(lengths, max_len, left_padded=False):
    right = torch.arange(max_len, device=lengths.device).expand(len(lengths), max_len) < lengths.unsqueeze(1)
    return right.flip(-1) if left_padded else right


def padding_mask_from_ids(ids, pad_id):
    return torch.ne(ids, pad_id)


def causal_mask(lq, lk=None, device=None):
    if lk is None:
        lk = lq
    i = torch.arange(lk - lq, lk, device=device).unsqueeze(1)  # absolute positions of the queries
    j = torch.arange(lk, device=device).unsqueeze(0)
    return j <= i


def attention_mask(key_padding, lq=None, causal=True):
    b, lk = key_padding.shape
    lq = lk if lq is None else lq
    keys = key_padding.view(b, 1, 1, lk).expand(b, 1, lq, lk)
    if not causal:
        return keys.clone()
    return torch.logical_and(keys, causal_mask(lq, lk, device=key_padding.device).view(1, 1, lq, lk))
