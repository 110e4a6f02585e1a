"""Reference: BERT's masked-language-model corruption (HF's DataCollatorForLanguageModeling).

Left out on purpose: whole-word masking, span masking (SpanBERT / T5), a fixed number of
masked tokens per sequence, and configurable 80/10/10 ratios; and the tokenizer's own
special-token mask (the caller passes the special ids).
"""
import torch


def mask_tokens(input_ids, mask_token_id, vocab_size, special_ids, seed, mlm_prob=0.15):
    # input_ids (B, L) int64
    device = input_ids.device
    g = torch.Generator(device=device).manual_seed(seed)  # the only source of randomness
    special = torch.isin(input_ids, torch.tensor(list(special_ids), dtype=input_ids.dtype, device=device))
    # 1. select each non-special token with probability mlm_prob
    probs = torch.full(input_ids.shape, mlm_prob, device=device).masked_fill(special, 0.0)
    selected = torch.bernoulli(probs, generator=g).bool()                 # (B, L)
    # subtle: the loss is computed on EVERY selected token, including the 10% left unchanged
    labels = input_ids.masked_fill(~selected, -100)
    # 2. of the selected: 80% -> [MASK]
    replaced = torch.bernoulli(torch.full(input_ids.shape, 0.8, device=device), generator=g).bool() & selected
    # subtle: 0.5 of the remaining 20% is 10% of the selected, hence 0.5 and not 0.1
    randomised = (torch.bernoulli(torch.full(input_ids.shape, 0.5, device=device), generator=g).bool()
                  & selected & ~replaced)
    random_ids = torch.randint(vocab_size, input_ids.shape, generator=g, device=device, dtype=input_ids.dtype)
    masked = input_ids.masked_fill(replaced, mask_token_id)
    masked = torch.where(randomised, random_ids, masked)                  # the last 10% stay as they were
    return masked, labels
