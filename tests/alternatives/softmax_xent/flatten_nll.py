"""Correct, differently written: softmax by dividing by the sum after a max shift
(torch.max values), log_softmax with an explicit detach-free max, and cross-entropy as
NLL on a flattened (M, C) view with masked sums (the loop-free way HF-style code does it)."""
import torch


def softmax(x, dim=-1):
    work = torch.promote_types(x.dtype, torch.float32)
    z = x.to(work)
    z = z - torch.max(z, dim, keepdim=True)[0]
    e = torch.exp(z)
    return (e / torch.sum(e, dim, keepdim=True)).to(x.dtype)


def log_softmax(x, dim=-1):
    work = torch.promote_types(x.dtype, torch.float32)
    z = x.to(work)
    z = z - z.max(dim, keepdim=True).values
    return (z - torch.exp(z).sum(dim, keepdim=True).log()).to(x.dtype)


def cross_entropy(logits, targets, ignore_index=-100, label_smoothing=0.0):
    C = logits.shape[1]
    flat = logits.transpose(1, -1).reshape(-1, C)  # (M, C)
    t = targets.transpose(1, -1).reshape(-1) if targets.dim() > 1 else targets  # same order as flat
    logp = log_softmax(flat, dim=1).to(torch.promote_types(logits.dtype, torch.float32))
    mask = (t != ignore_index).to(logp.dtype)
    idx = t.clamp(0, C - 1)
    nll = -logp[torch.arange(t.numel(), device=t.device), idx]
    smooth = -logp.sum(1) / C
    per = (1 - label_smoothing) * nll + label_smoothing * smooth
    return ((per * mask).sum() / mask.sum()).to(logits.dtype)
