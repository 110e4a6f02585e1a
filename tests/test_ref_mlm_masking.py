"""The MLM masking reference against an independent transcription of HF's
DataCollatorForLanguageModeling.torch_mask_tokens (same generator, same draw order:
identical output), and its rates on a batch of a million tokens."""
import math

import pytest
import torch

from grader.catalog import load_catalog
from grader.runner import load_module

REF = load_module(load_catalog().get("mlm_masking").solution_path, "test_ref_mlm_masking_solution")


def hf_torch_mask_tokens(inputs, special_tokens_mask, mask_token_id, vocab_len, mlm_probability, generator):
    """transformers.data.data_collator.DataCollatorForLanguageModeling.torch_mask_tokens
    (defaults mask_replace_prob=0.8, random_replace_prob=0.1), with an explicit generator."""
    labels = inputs.clone()
    probability_matrix = torch.full(labels.shape, mlm_probability)
    probability_matrix.masked_fill_(special_tokens_mask, value=0.0)
    masked_indices = torch.bernoulli(probability_matrix, generator=generator).bool()
    labels[~masked_indices] = -100
    indices_replaced = torch.bernoulli(torch.full(labels.shape, 0.8), generator=generator).bool() & masked_indices
    inputs = inputs.clone()
    inputs[indices_replaced] = mask_token_id
    indices_random = (torch.bernoulli(torch.full(labels.shape, 0.5), generator=generator).bool()
                      & masked_indices & ~indices_replaced)
    random_words = torch.randint(vocab_len, labels.shape, dtype=torch.long, generator=generator)
    inputs[indices_random] = random_words[indices_random]
    return inputs, labels


def _batch(B, L, seed, specials, V):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, V, (B, L), generator=g)
    ids[:, 0] = specials[0] if specials else ids[:, 0]
    return ids


@pytest.mark.parametrize("seed", [0, 1, 12345])
@pytest.mark.parametrize("specials,mask_id,V,p", [([0, 101, 102, 103], 103, 30522, 0.15), ([], 5, 50, 0.4),
                                                  ([1, 2, 3, 4], 4, 1000, 0.3)])
def test_equals_hf_collator(seed, specials, mask_id, V, p):
    ids = _batch(8, 33, seed, specials, V)
    got = REF.mask_tokens(ids, mask_id, V, specials, seed, mlm_prob=p)
    special_mask = torch.isin(ids, torch.tensor(specials, dtype=torch.long))
    want = hf_torch_mask_tokens(ids, special_mask, mask_id, V, p, torch.Generator().manual_seed(seed))
    assert torch.equal(got[0], want[0]) and torch.equal(got[1], want[1])
    assert got[0].dtype == torch.int64 and got[1].dtype == torch.int64


def test_rates_on_a_million_tokens():
    V, mask_id, specials, p = 30522, 103, [0, 101, 102, 103], 0.15
    ids = torch.randint(999, V, (1000, 1000), generator=torch.Generator().manual_seed(3))
    ids[:, 0], ids[:, -1] = 101, 102
    masked, labels = REF.mask_tokens(ids, mask_id, V, specials, seed=7, mlm_prob=p)
    sel = labels != -100
    n, s = 1000 * 998, int(sel.sum())
    assert abs(s - n * p) < 5 * math.sqrt(n * p * (1 - p))
    assert not sel[:, [0, -1]].any()
    assert torch.equal(masked[~sel], ids[~sel]) and torch.equal(labels[sel], ids[sel])
    frac_mask = (masked[sel] == mask_id).float().mean().item()
    frac_same = (masked[sel] == ids[sel]).float().mean().item()
    assert abs(frac_mask - 0.8) < 5 * math.sqrt(0.16 / s)
    assert abs(frac_same - 0.1) < 5 * math.sqrt(0.09 / s)
    other = masked[sel & (masked != mask_id) & (masked != ids)]
    assert abs((other >= V // 2).float().mean().item() - 0.5) < 5 * math.sqrt(0.25 / other.numel()) + 1e-3


def test_inputs_unchanged_and_seed_reproducible():
    ids = _batch(4, 20, 0, [0], 100)
    before = ids.clone()
    a = REF.mask_tokens(ids, 1, 100, [0, 1], seed=9, mlm_prob=0.5)
    b = REF.mask_tokens(ids, 1, 100, [0, 1], seed=9, mlm_prob=0.5)
    assert torch.equal(ids, before) and torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def test_worked_example_from_the_prompt():
    ids = torch.tensor([[101, 2023, 2003, 1037, 7953, 6251, 102, 0, 0]])
    masked, labels = REF.mask_tokens(ids, 103, 30522, [0, 101, 102, 103], seed=102, mlm_prob=0.5)
    assert masked.tolist() == [[101, 2023, 103, 1037, 7953, 6372, 102, 0, 0]]
    assert labels.tolist() == [[-100, -100, 2003, 1037, -100, 6251, -100, -100, -100]]
