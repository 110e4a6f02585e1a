"""Correct, differently written: move the axis last, compute in float32 at least (the
`.float()` upcast idiom), P log P with torch.xlogy (0 where P = 0), cast back."""
import torch
import torch.nn.functional as F


def kl_divergence(p_logits, q_logits, dim=-1):
    p_last = p_logits.movedim(dim, -1).float()
    q_last = q_logits.movedim(dim, -1).float()
    p = F.softmax(p_last, dim=-1)
    neg_entropy = torch.xlogy(p, p).sum(-1)               # sum P log P, 0 log 0 = 0
    cross = (p * F.log_softmax(q_last, dim=-1)).sum(-1)   # sum P log Q
    return (neg_entropy - cross).to(p_logits.dtype)
