"""Correct, differently written: per-row sums and counts combined afterwards (token-weighted),
computed in float32 at least (the .float() idiom), perplexity as 2 ** bits."""
import torch


def _row_bits(logits, targets, pad_id):
    work = logits.to(torch.promote_types(logits.dtype, torch.float32))
    shifted = work - work.amax(-1, keepdim=True)
    logp = shifted - shifted.exp().sum(-1, keepdim=True).log()
    mask = (targets != pad_id).to(work.dtype)
    picked = torch.take_along_dim(logp, targets[..., None], dim=-1)[..., 0]
    bits = -(picked * mask).sum(dim=1) / torch.log(torch.tensor(2.0, dtype=work.dtype))  # (B,)
    return bits, mask.sum(dim=1)


def bits_per_token(logits, targets, pad_id):
    bits, count = _row_bits(logits, targets, pad_id)
    return (bits.sum() / count.sum()).to(logits.dtype)


def perplexity(logits, targets, pad_id):
    bits, count = _row_bits(logits, targets, pad_id)
    return torch.pow(2.0, bits.sum() / count.sum()).to(logits.dtype)


def bits_per_char(logits, targets, pad_id, n_chars):
    bits, _ = _row_bits(logits, targets, pad_id)
    return (bits.sum() / n_chars).to(logits.dtype)
