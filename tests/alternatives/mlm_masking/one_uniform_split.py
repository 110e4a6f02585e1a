"""Correct, differently written: torch.rand instead of bernoulli, and ONE uniform draw per
token for the split (r < 0.8: mask, r < 0.9: random, else keep); special tokens found by
comparing against each special id in a loop."""
import torch


def mask_tokens(input_ids, mask_token_id, vocab_size, special_ids, seed, mlm_prob=0.15):
    g = torch.Generator(device=input_ids.device).manual_seed(seed)
    special = torch.zeros_like(input_ids, dtype=torch.bool)
    for s in special_ids:
        special |= input_ids == s
    u = torch.rand(input_ids.shape, generator=g, device=input_ids.device)
    r = torch.rand(input_ids.shape, generator=g, device=input_ids.device)
    selected = (u < mlm_prob) & ~special
    random_ids = torch.randint(0, vocab_size, input_ids.shape, generator=g, device=input_ids.device)
    out = input_ids.clone()
    out[selected & (r < 0.8)] = mask_token_id
    swap = selected & (r >= 0.8) & (r < 0.9)
    out[swap] = random_ids[swap]
    labels = torch.full_like(input_ids, -100)
    labels[selected] = input_ids[selected]
    return out, labels
