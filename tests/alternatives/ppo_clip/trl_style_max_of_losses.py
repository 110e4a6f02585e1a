"""Correct, differently written (TRL's PPO style): max of the two negated terms, a masked
mean by multiplication, and the KL from the log-ratio."""
import torch


def masked_mean(values, mask):
    return (values * mask).sum() / mask.sum()


def ppo_clip_loss(logp_new, logp_old, advantages, clip_eps=0.2, mask=None, kl_coef=0.0):
    if mask is None:
        mask = torch.ones_like(logp_new, dtype=torch.bool)
    logratio = logp_new - logp_old
    ratio = logratio.exp()
    pg_losses = -advantages * ratio
    pg_losses2 = -advantages * torch.clamp(ratio, 1.0 - clip_eps, 1.0 + clip_eps)
    loss = masked_mean(torch.max(pg_losses, pg_losses2), mask)
    kl = (-logratio).exp() - 1 + logratio
    return loss + kl_coef * masked_mean(kl, mask)
