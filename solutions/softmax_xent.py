"""Reference: numerically stable softmax, log_softmax and cross-entropy from logits.

Left out on purpose: class weights (`weight=`), reductions other than the mean,
probability ("soft") targets, unbatched (C,) logits, and fused kernels that never
materialise the log-probabilities (what large-vocabulary LM heads use).
"""
import torch


def _shifted(x, dim):
    """x minus its max along `dim`, in float32 at least. Example: [1000., 1001.] -> [-1., 0.]."""
    xf = x.to(torch.promote_types(x.dtype, torch.float32))  # fp16/bf16 -> fp32; fp64 stays fp64
    # subtle: after the shift the largest exponent is exp(0) = 1, so exp cannot overflow and
    # the sum is >= 1, so its log is finite. The max is a constant: no gradient needed through it.
    return xf - xf.amax(dim=dim, keepdim=True).detach()


def softmax(x, dim=-1):
    e = _shifted(x, dim).exp()  # same shape as x, entries in [0, 1]
    return (e / e.sum(dim=dim, keepdim=True)).to(x.dtype)


def log_softmax(x, dim=-1):
    z = _shifted(x, dim)
    # subtle: log p = z - log Σ exp(z), never log(softmax): a probability that underflows
    # to 0 would give -inf where the true log-probability is, say, -150
    return (z - z.exp().sum(dim=dim, keepdim=True).log()).to(x.dtype)


def cross_entropy(logits, targets, ignore_index=-100, label_smoothing=0.0):
    # logits (N, C, *extra), targets (N, *extra) int64; classes on dim 1, as in torch
    logp = log_softmax(logits.to(torch.promote_types(logits.dtype, torch.float32)), dim=1)
    keep = targets != ignore_index  # (N, *extra)
    # subtle: an ignored target (e.g. -100) is no valid class index: gather at 0, drop it below
    safe = torch.where(keep, targets, torch.zeros_like(targets))
    nll = -logp.gather(1, safe.unsqueeze(1)).squeeze(1)  # (N, *extra): -log p(target)
    if label_smoothing:
        # target distribution (1 - ε)·onehot + ε/C: the ε part is the mean of -log p over classes
        uniform = -logp.mean(dim=1)  # (N, *extra)
        nll = (1.0 - label_smoothing) * nll + label_smoothing * uniform
    per_target = torch.where(keep, nll, torch.zeros_like(nll))
    # mean over the kept targets only; all ignored -> 0 / 0 = NaN, exactly as torch does
    return (per_target.sum() / keep.sum()).to(logits.dtype)
