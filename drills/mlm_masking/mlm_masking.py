"""Masked-language-model corruption (BERT's 80/10/10 rule).

Write `mask_tokens(input_ids, mask_token_id, vocab_size, special_ids, seed, mlm_prob=0.15)`
returning `(masked_ids, labels)`, the inputs and targets of one MLM training batch.

    input_ids      (B, L) int64 token ids in [0, vocab_size)
    mask_token_id  int, the [MASK] id (normally one of special_ids)
    vocab_size     int V
    special_ids    list of ints ([CLS], [SEP], [PAD], [MASK]...; may be empty)
    seed           int. Build ONE generator and pass it to every random call
                   (torch.rand / bernoulli / randint(..., generator=g)), never
                   the global RNG; the same seed must give the same output:
                 g = torch.Generator(device=input_ids.device).manual_seed(seed)
    mlm_prob       float in (0, 1)

The rule:
  1. Select each token independently with probability mlm_prob, except special tokens
     (ids in special_ids), which are never selected.
  2. Each selected token, independently: with probability 0.8 becomes mask_token_id; with
     probability 0.1 becomes a token id drawn uniformly from [0, vocab_size) (every id,
     special ones included, so it can happen to equal the original); with probability 0.1
     stays as it is.
  3. labels: the ORIGINAL id at every selected position (also the 10% left unchanged),
     -100 at every other position (the loss ignores them).
Unselected tokens are never changed. Both outputs are int64 tensors of input_ids' shape,
on its device. Do not modify input_ids in place.

The order of your random draws is up to you, so the grader cannot compare with the
reference token by token. It checks the structure exactly (special and unselected tokens
unchanged with label -100; labels equal the original ids where not -100; all ids in
[0, V)), and the rates statistically on large batches, each within 5 binomial standard
deviations: the selected fraction of the non-special tokens ≈ mlm_prob; among the
selected, the fraction turned into the mask ≈ 0.8, unchanged ≈ 0.1, other ids ≈ 0.1
(a random id equal to the original or to the mask id counts as such: 0.1/V each); the
random ids spread uniformly over [0, V) (about half of them in the upper half); same
seed -> same output, different seeds -> different output.

Example (one possible result; your draw order gives other, equally valid ones):
    # [CLS] ... [SEP] [PAD] [PAD]
    input_ids = tensor([[101, 2023, 2003, 1037, 7953, 6251, 102, 0, 0]])
    mask_tokens(input_ids, 103, 30522, [0, 101, 102, 103], seed=102,
                mlm_prob=0.5)
    -> masked_ids [[ 101, 2023,  103, 1037, 7953, 6372,  102,    0,    0]]
       labels     [[-100, -100, 2003, 1037, -100, 6251, -100, -100, -100]]
    2003 was masked, 1037 selected but kept (still labelled),
    6251 replaced by a random id (6372).
"""
import torch


def mask_tokens(input_ids: torch.Tensor, mask_token_id: int, vocab_size: int, special_ids: list[int], seed: int,
                mlm_prob: float = 0.15) -> tuple[torch.Tensor, torch.Tensor]:
    raise NotImplementedError
