"""Reference: boolean attention masks (True = may attend), padding and causal.

Left out on purpose: additive float masks (0 / -inf), sliding-window and block-sparse
masks, per-row position offsets for left-padded decoding (positions matter for RoPE,
not for the mask), and validation of lengths outside [0, max_len].
"""
import torch


def padding_mask_from_lengths(lengths, max_len, left_padded=False):
    # lengths (B,) int64 -> (B, max_len) bool, True at real tokens
    pos = torch.arange(max_len, device=lengths.device)  # (L,)
    if left_padded:
        # real tokens are the last lengths[b] slots: the first real slot is max_len - lengths[b]
        return pos[None, :] >= (max_len - lengths)[:, None]  # (B, L)
    return pos[None, :] < lengths[:, None]  # (B, L)


def padding_mask_from_ids(ids, pad_id):
    # ids (B, L) -> (B, L) bool; the same for left and right padding
    return ids != pad_id


def causal_mask(lq, lk=None, device=None):
    # (lq, lk) bool: the queries are the last lq of lk positions (a KV cache holds lk - lq)
    lk = lq if lk is None else lk
    full = torch.ones(lq, lk, dtype=torch.bool, device=device)
    # subtle: diagonal=lk-lq shifts the triangle right, so the last query sees every key
    # (and for lq > lk it is negative: the first lq - lk rows see nothing, by the same rule)
    return torch.tril(full, diagonal=lk - lq)  # query i sees keys j <= i + (lk - lq)


def attention_mask(key_padding, lq=None, causal=True):
    # key_padding (B, Lk) bool -> (B, 1, Lq, Lk) bool, dim 1 broadcasts over heads
    B, lk = key_padding.shape
    lq = lk if lq is None else lq
    mask = key_padding[:, None, None, :]  # (B, 1, 1, Lk): padding hides key columns only
    if causal:
        mask = mask & causal_mask(lq, lk, device=key_padding.device)  # (B, 1, Lq, Lk)
    return mask.expand(B, 1, lq, lk)
