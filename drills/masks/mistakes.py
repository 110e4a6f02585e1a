"""Classic wrong answers to the masks drill; each must fail the spec.

A mistake in causal_mask usually shows up in attention_mask too (people build one from the
other), so the causal mistakes override both entry points.
"""
import torch

from grader.props import mistake


def _combine(key_padding, causal_fn, lq, causal):
    B, lk = key_padding.shape
    lq = lk if lq is None else lq
    mask = key_padding[:, None, None, :]
    if causal:
        mask = mask & causal_fn(lq, lk, device=key_padding.device)
    return mask.expand(B, 1, lq, lk)


# -- causal ----------------------------------------------------------------------------
def _strict_causal(lq, lk=None, device=None):
    lk = lq if lk is None else lk
    return torch.ones(lq, lk, dtype=torch.bool, device=device).tril(diagonal=lk - lq - 1)


@mistake("strict_triangle", "the diagonal is excluded: a token may not attend to itself",
         explain="Causal means 'no future', not 'no present': query i sees key j for j <= i + (lk - lq). "
                 "triu(diagonal=1) marks what is HIDDEN; tril(diagonal=-1) hides the token from itself.")
def causal_mask(lq, lk=None, device=None):
    return _strict_causal(lq, lk, device)


@mistake("strict_triangle", "", entry="attention_mask")
def strict_attention_mask(key_padding, lq=None, causal=True):
    return _combine(key_padding, _strict_causal, lq, causal)


def _top_left_causal(lq, lk=None, device=None):
    lk = lq if lk is None else lk
    return torch.ones(lq, lk, dtype=torch.bool, device=device).tril()


@mistake("offset_ignored", "causal triangle anchored top-left: the lk - lq cached keys are ignored when lq < lk",
         entry="causal_mask",
         explain="With a KV cache the new queries are the LAST lq positions, so query i sits at position "
                 "i + (lk - lq) and sees every cached key: tril(ones(lq, lk), diagonal=lk - lq).")
def top_left_causal(lq, lk=None, device=None):
    return _top_left_causal(lq, lk, device)


@mistake("offset_ignored", "", entry="attention_mask")
def top_left_attention_mask(key_padding, lq=None, causal=True):
    return _combine(key_padding, _top_left_causal, lq, causal)


@mistake("last_rows_of_square", "causal_mask(lq, lk) sliced from the (lk, lk) triangle: wrong shape when lq > lk",
         entry="causal_mask",
         explain="tril(ones(lk, lk))[-lq:] is right for lq <= lk, but has only lk rows when lq > lk. "
                 "tril(ones(lq, lk), diagonal=lk - lq) (or j <= i + lk - lq) covers every case.")
def last_rows_of_square(lq, lk=None, device=None):
    lk = lq if lk is None else lk
    return torch.ones(lk, lk, dtype=torch.bool, device=device).tril()[-lq:]


# -- convention and dtype --------------------------------------------------------------
@mistake("inverted_convention", "True marks what is masked out (the inverse of 'True = may attend')",
         entry="padding_mask_from_lengths",
         explain="torch's SDPA and this drill use True = MAY attend. Masks that mark the hidden positions "
                 "(HF's old 'padding = 1' style, or triu(diagonal=1)) must be inverted before use.")
def inverted_lengths(lengths, max_len, left_padded=False):
    pos = torch.arange(max_len, device=lengths.device)
    if left_padded:
        return pos[None, :] < (max_len - lengths)[:, None]
    return pos[None, :] >= lengths[:, None]


@mistake("inverted_convention", "", entry="padding_mask_from_ids")
def inverted_ids(ids, pad_id):
    return ids == pad_id


def _inverted_causal(lq, lk=None, device=None):
    lk = lq if lk is None else lk
    return torch.ones(lq, lk, dtype=torch.bool, device=device).triu(diagonal=lk - lq + 1)


@mistake("inverted_convention", "", entry="causal_mask")
def inverted_causal(lq, lk=None, device=None):
    return _inverted_causal(lq, lk, device)


@mistake("inverted_convention", "", entry="attention_mask")
def inverted_attention_mask(key_padding, lq=None, causal=True):
    B, lk = key_padding.shape
    lq = lk if lq is None else lq
    hidden = key_padding[:, None, None, :]  # read as True = padding
    if causal:
        hidden = hidden | _inverted_causal(lq, lk, device=key_padding.device)
    return hidden.expand(B, 1, lq, lk)


def _float_causal(lq, lk=None, device=None):
    lk = lq if lk is None else lk
    return torch.ones(lq, lk, device=device).tril(diagonal=lk - lq)


@mistake("float_mask", "the causal mask is a float 0/1 tensor (torch.ones(...).tril()) instead of torch.bool",
         entry="causal_mask",
         explain="A float mask given to SDPA is ADDED to the scores (0 and 1, not -inf), and ~mask fails on "
                 "floats; make it boolean: torch.ones(..., dtype=torch.bool).")
def float_causal(lq, lk=None, device=None):
    return _float_causal(lq, lk, device)


@mistake("float_mask", "", entry="attention_mask")
def float_attention_mask(key_padding, lq=None, causal=True):
    B, lk = key_padding.shape
    lq = lk if lq is None else lq
    mask = key_padding[:, None, None, :].float()
    if causal:
        mask = mask * _float_causal(lq, lk, device=key_padding.device)
    return mask.expand(B, 1, lq, lk)


# -- padding ---------------------------------------------------------------------------
@mistake("left_as_right", "left_padded=True is ignored: left-padded batches get a right-padding mask",
         entry="padding_mask_from_lengths",
         explain="With left padding (usual for batched generation) the real tokens are the LAST lengths[b] "
                 "slots: slot j is real iff j >= max_len - lengths[b].")
def left_as_right(lengths, max_len, left_padded=False):
    return torch.arange(max_len, device=lengths.device)[None, :] < lengths[:, None]


@mistake("left_padding_wrong_start", "left padding marks slots j >= lengths[b] instead of j >= max_len - lengths[b]",
         entry="padding_mask_from_lengths",
         explain="The first real slot of a left-padded row is max_len - lengths[b] (the number of pad tokens).")
def left_wrong_start(lengths, max_len, left_padded=False):
    pos = torch.arange(max_len, device=lengths.device)[None, :]
    return pos >= lengths[:, None] if left_padded else pos < lengths[:, None]


@mistake("lengths_off_by_one", "one slot too many is real: j <= lengths[b] instead of j < lengths[b]",
         entry="padding_mask_from_lengths",
         explain="Slots are 0-based: a sequence of length n occupies slots 0 .. n-1.")
def lengths_off_by_one(lengths, max_len, left_padded=False):
    pos = torch.arange(max_len, device=lengths.device)[None, :]
    if left_padded:
        return pos >= (max_len - lengths - 1)[:, None]
    return pos <= lengths[:, None]


# -- the combined mask -----------------------------------------------------------------
@mistake("missing_head_dim", "attention_mask returns (B, Lq, Lk): no singleton head dim",
         entry="attention_mask",
         explain="Scores are (B, H, Lq, Lk); a (B, Lq, Lk) mask broadcasts as (1, B, Lq, Lk) and lines the "
                 "batch up with the heads. Insert the head dim: key_padding[:, None, None, :].")
def missing_head_dim(key_padding, lq=None, causal=True):
    return _combine(key_padding, causal_mask_ref, lq, causal)[:, 0]


@mistake("head_dim_misplaced", "attention_mask returns (B, Lq, 1, Lk): the singleton dim is in the wrong place",
         entry="attention_mask",
         explain="The head dim comes right after the batch: (B, 1, Lq, Lk), to broadcast against (B, H, Lq, Lk).")
def head_dim_misplaced(key_padding, lq=None, causal=True):
    return _combine(key_padding, causal_mask_ref, lq, causal)[:, 0].unsqueeze(2)


@mistake("padding_on_queries", "padding hides query rows instead of key columns",
         entry="attention_mask",
         explain="key_padding[:, None, :, None] blanks the rows of padded QUERIES and still lets real queries "
                 "attend to pad keys. Padding must hide key columns: key_padding[:, None, None, :].")
def padding_on_queries(key_padding, lq=None, causal=True):
    B, lk = key_padding.shape
    lq = lk if lq is None else lq
    rows = key_padding[:, lk - lq:] if lq <= lk else key_padding[:, :1].expand(B, lq)
    mask = rows[:, None, :, None].expand(B, 1, lq, lk)
    if causal:
        mask = mask & causal_mask_ref(lq, lk, device=key_padding.device)
    return mask


def causal_mask_ref(lq, lk=None, device=None):
    lk = lq if lk is None else lk
    return torch.ones(lq, lk, dtype=torch.bool, device=device).tril(diagonal=lk - lq)
