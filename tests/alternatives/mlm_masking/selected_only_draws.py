"""Correct, differently written: choose the positions first, then draw the 80/10/10 split
and the random ids only for the selected positions (a flat index list), via multinomial."""
import torch


def mask_tokens(input_ids, mask_token_id, vocab_size, special_ids, seed, mlm_prob=0.15):
    dev = input_ids.device
    g = torch.Generator(device=dev).manual_seed(seed)
    flat = input_ids.reshape(-1)
    eligible = ~torch.isin(flat, torch.tensor(special_ids, dtype=flat.dtype, device=dev))
    chosen = (torch.rand(flat.shape, generator=g, device=dev) < mlm_prob) & eligible
    idx = chosen.nonzero().squeeze(1)                                   # (n_selected,)
    kind = torch.multinomial(torch.tensor([0.8, 0.1, 0.1], device=dev), idx.numel(), replacement=True,
                             generator=g) if idx.numel() else idx.new_zeros(0)
    new = flat.clone()
    new[idx[kind == 0]] = mask_token_id
    rnd = idx[kind == 1]
    new[rnd] = torch.randint(vocab_size, (rnd.numel(),), generator=g, device=dev)
    labels = torch.full_like(flat, -100)
    labels[idx] = flat[idx]
    return new.view_as(input_ids), labels.view_as(input_ids)
