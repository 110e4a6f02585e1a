# expect: fail | in place
import torch

def padding_mask_from_lengths(lengths, max_len, left_padded=False):
    pos = torch.arange(max_len, device=lengths.device)
    mask = pos >= (max_len - lengths)[:, None] if left_padded else pos < lengths[:, None]
    lengths.zero_()  # 'done with it': but the caller's tensor is changed
    return mask

def padding_mask_from_ids(ids, pad_id):
    return ids != pad_id

def causal_mask(lq, lk=None, device=None):
    lk = lq if lk is None else lk
    if lq > lk:
        raise ValueError('lq > lk')
    return torch.ones(lq, lk, dtype=torch.bool, device=device).tril(lk - lq)

def attention_mask(key_padding, lq=None, causal=True):
    raise NotImplementedError
