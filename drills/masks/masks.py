"""Attention masks: padding, causal, and the two combined.

Every mask in this drill is a torch.bool tensor in which True means "this query MAY
attend to this key" (the convention of torch's scaled_dot_product_attention and of the
attention drill). A mask is used by filling the attention scores with -inf where it is
False. Return torch.bool, never 0/1 integers or floats. Every result lives on the
device of the input tensor (for `causal_mask`, on `device`). Do not modify inputs.

Write four functions.

padding_mask_from_lengths(lengths, max_len, left_padded=False) -> bool (B, max_len)
    lengths  int64 (B,), each between 0 and max_len: the number of real tokens per sequence.
    True at real tokens, False at padding.
    Right padding (default): the real tokens are the FIRST lengths[b] slots of row b.
    Left padding (left_padded=True): they are the LAST lengths[b] slots.
    A length of 0 gives an all-False row; a length of max_len an all-True row.

padding_mask_from_ids(ids, pad_id) -> bool, the shape of ids (B, L)
    True wherever ids != pad_id (this works for left and right padding alike).

causal_mask(lq, lk=None, device=None) -> bool (lq, lk)
    lk defaults to lq. The lq queries are the LAST lq of the lk positions, as in decoding
    with a KV cache where lk - lq earlier tokens are already cached. Query i may attend
    key j if and only if  j <= i + (lk - lq).
    lq == lk gives the ordinary lower triangle, diagonal included (a token sees itself).
    lq > lk follows the same rule: the first lq - lk query rows allow no key (all False).
    The mask is created on `device` (None means the CPU).

attention_mask(key_padding, lq=None, causal=True) -> bool (B, 1, Lq, Lk)
    key_padding  bool (B, Lk), True at real keys (from one of the padding functions).
    Lq = lq, or Lk when lq is None. The result, ready for scores of shape (B, H, Lq, Lk)
    (dim 1 broadcasts over the heads):
        out[b, 0, i, j] = key_padding[b, j]  and  (not causal  or  causal_mask(Lq, Lk)[i, j])
    It always has the full shape (B, 1, Lq, Lk), also when causal=False (expand it).
    Padding masks keys (columns) only; query rows are never blanked because the query is
    padding (their outputs are simply ignored later). Any lq >= 1 is allowed: lq < Lk is
    decoding with a cache; with causal=False, lq is free (cross-attention over padded
    encoder keys); with causal=True and lq > Lk, causal_mask's rule applies.
    The same function serves left- and right-padded batches: the causal rule works on slot
    indices, and with left padding the pad slots at the start are removed by key_padding.
    A left-padded pad query may then be left with no allowed key at all: that row is all
    False (the attention drill returns zeros for such a row).

Not allowed: torch.nn.attention.bias.causal_lower_right / causal_upper_left and
torch.nn.Transformer.generate_square_subsequent_mask (use arange, comparisons, tril...).

Example:
    padding_mask_from_lengths(torch.tensor([2, 3]), 4)
        -> [[True, True, False, False], [True, True, True, False]]
    padding_mask_from_lengths(torch.tensor([2, 3]), 4, left_padded=True)
        -> [[False, False, True, True], [False, True, True, True]]
    causal_mask(2, 4)
        -> [[True, True, True, False],
            [True, True, True, True]]
    attention_mask(torch.tensor([[False, True, True, True]]), lq=2)   # shape (1, 1, 2, 4)
        -> [[[[False, True, True, False],
              [False, True, True, True]]]]
"""
import torch


def padding_mask_from_lengths(lengths: torch.Tensor, max_len: int, left_padded: bool = False) -> torch.Tensor:
    raise NotImplementedError


def padding_mask_from_ids(ids: torch.Tensor, pad_id: int) -> torch.Tensor:
    raise NotImplementedError


def causal_mask(lq: int, lk: int | None = None, device: torch.device | str | None = None) -> torch.Tensor:
    raise NotImplementedError


def attention_mask(key_padding: torch.Tensor, lq: int | None = None, causal: bool = True) -> torch.Tensor:
    raise NotImplementedError
