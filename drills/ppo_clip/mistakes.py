"""Classic wrong answers to the PPO clipped-loss drill; each must fail the spec."""
import torch

from grader.props import mistake


def _kl(logp_new, logp_old):
    x = logp_old - logp_new
    return torch.exp(x) - 1.0 - x


def _mean(per_token, mask):
    if mask is None:
        return per_token.mean()
    return torch.where(mask, per_token, torch.zeros_like(per_token)).sum() / mask.sum()


def _loss(surrogate, kl, mask, kl_coef):
    return _mean(-surrogate + kl_coef * kl, mask)


def _surrogate(ratio, adv, eps):
    return torch.minimum(ratio * adv, ratio.clamp(1 - eps, 1 + eps) * adv)


@mistake("clip_advantage", "clips the advantage instead of the ratio",
         explain="The clipped term is clip(ratio, 1 - eps, 1 + eps) * A: the probability ratio is clipped, "
                 "never the advantage.")
def ppo_clip_loss(logp_new, logp_old, advantages, clip_eps=0.2, mask=None, kl_coef=0.0):
    ratio = torch.exp(logp_new - logp_old)
    surrogate = torch.minimum(ratio * advantages, ratio * advantages.clamp(1 - clip_eps, 1 + clip_eps))
    return _loss(surrogate, _kl(logp_new, logp_old), mask, kl_coef)


@mistake("max_instead_of_min", "takes the max of the two terms instead of the min", entry="ppo_clip_loss",
         explain="PPO's objective is pessimistic: min(ratio * A, clip(ratio) * A). The max lets the ratio run "
                 "away exactly where clipping should stop it.")
def max_instead_of_min(logp_new, logp_old, advantages, clip_eps=0.2, mask=None, kl_coef=0.0):
    ratio = torch.exp(logp_new - logp_old)
    surrogate = torch.maximum(ratio * advantages, ratio.clamp(1 - clip_eps, 1 + clip_eps) * advantages)
    return _loss(surrogate, _kl(logp_new, logp_old), mask, kl_coef)


@mistake("ratio_not_exponentiated", "uses logp_new - logp_old as the ratio (no exp)", entry="ppo_clip_loss",
         explain="The inputs are log-probs: the ratio pi_new / pi_old is exp(logp_new - logp_old), which is 1 "
                 "(not 0) when the policies agree.")
def ratio_not_exponentiated(logp_new, logp_old, advantages, clip_eps=0.2, mask=None, kl_coef=0.0):
    ratio = logp_new - logp_old
    return _loss(_surrogate(ratio, advantages, clip_eps), _kl(logp_new, logp_old), mask, kl_coef)


@mistake("mask_ignored", "ignores the mask: padding is averaged in", entry="ppo_clip_loss",
         explain="Padded tokens are not part of any response; leave them out of the sum and of the count.")
def mask_ignored(logp_new, logp_old, advantages, clip_eps=0.2, mask=None, kl_coef=0.0):
    ratio = torch.exp(logp_new - logp_old)
    return _loss(_surrogate(ratio, advantages, clip_eps), _kl(logp_new, logp_old), None, kl_coef)


@mistake("divided_by_all_tokens", "masks the sum but divides by B*T instead of the number of real tokens",
         entry="ppo_clip_loss",
         explain="(per_token * mask).mean() divides by every position, padding included, so the loss shrinks "
                 "with the amount of padding. Divide the masked sum by mask.sum().")
def divided_by_all_tokens(logp_new, logp_old, advantages, clip_eps=0.2, mask=None, kl_coef=0.0):
    ratio = torch.exp(logp_new - logp_old)
    per_token = -_surrogate(ratio, advantages, clip_eps) + kl_coef * _kl(logp_new, logp_old)
    if mask is None:
        return per_token.mean()
    return (per_token * mask).mean()


@mistake("sign_flipped", "returns +surrogate: the loss is not negated", entry="ppo_clip_loss",
         explain="Optimisers minimise; PPO maximises the surrogate, so the loss is its negative.")
def sign_flipped(logp_new, logp_old, advantages, clip_eps=0.2, mask=None, kl_coef=0.0):
    ratio = torch.exp(logp_new - logp_old)
    return _mean(_surrogate(ratio, advantages, clip_eps) + kl_coef * _kl(logp_new, logp_old), mask)


@mistake("per_sequence_mean", "averages each sequence's tokens first, then averages the sequences",
         entry="ppo_clip_loss",
         explain="The stated aggregation is one mean over all real tokens of the batch. A mean of per-sequence "
                 "means weights a short response's tokens more (the original GRPO does that; it is a different "
                 "loss), and an all-padding row gives 0/0.")
def per_sequence_mean(logp_new, logp_old, advantages, clip_eps=0.2, mask=None, kl_coef=0.0):
    ratio = torch.exp(logp_new - logp_old)
    per_token = -_surrogate(ratio, advantages, clip_eps) + kl_coef * _kl(logp_new, logp_old)
    if mask is None:
        return per_token.mean(dim=1).mean()
    return ((per_token * mask).sum(dim=1) / mask.sum(dim=1)).mean()


@mistake("kl_reversed_ratio", "the k3 KL uses r = exp(logp_new - logp_old) instead of exp(logp_old - logp_new)",
         entry="ppo_clip_loss",
         explain="k3 = (r - 1) - log r with r = pi_old / pi_new estimates KL(new || old) from the new policy's "
                 "samples; with the ratio inverted it is a different (also non-negative) quantity.")
def kl_reversed_ratio(logp_new, logp_old, advantages, clip_eps=0.2, mask=None, kl_coef=0.0):
    ratio = torch.exp(logp_new - logp_old)
    return _loss(_surrogate(ratio, advantages, clip_eps), _kl(logp_old, logp_new), mask, kl_coef)
