"""Correct, differently written: the clipped case spelled out with torch.where (a constant
there, hence no gradient), the real tokens picked by boolean indexing."""
import torch


def ppo_clip_loss(logp_new, logp_old, advantages, clip_eps=0.2, mask=None, kl_coef=0.0):
    ratio = torch.exp(logp_new - logp_old)
    A = advantages
    too_high = (A > 0) & (ratio > 1 + clip_eps)
    too_low = (A < 0) & (ratio < 1 - clip_eps)
    bound = torch.where(A > 0, torch.full_like(A, 1 + clip_eps), torch.full_like(A, 1 - clip_eps))
    surrogate = torch.where(too_high | too_low, bound * A, ratio * A)
    r = torch.exp(logp_old - logp_new)
    per_token = kl_coef * (r - 1 - torch.log(r)) - surrogate
    if mask is not None:
        per_token = per_token[mask]
    return per_token.mean()
