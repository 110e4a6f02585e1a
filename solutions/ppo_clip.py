"""Reference: PPO's clipped surrogate loss per token, with a k3 KL penalty and a padding mask.

Left out on purpose: computing the advantages (GAE, or GRPO's group-normalised rewards),
the value-function loss and its clipping, the entropy bonus, dual-clip PPO, and the other
loss aggregations (per-sequence means as in the original GRPO, or a sum divided by a fixed
length as in Dr. GRPO). The KL here is to the sampling policy; GRPO uses the same k3 form
with a frozen reference model's log-probs in place of logp_old.
"""
import torch


def ppo_clip_loss(logp_new, logp_old, advantages, clip_eps=0.2, mask=None, kl_coef=0.0):
    # logp_new, logp_old, advantages: (B, T); mask: bool (B, T), True = real token
    log_ratio = logp_new - logp_old                                   # (B, T)
    ratio = torch.exp(log_ratio)                                      # pi_new / pi_old
    unclipped = ratio * advantages
    clipped = torch.clamp(ratio, 1.0 - clip_eps, 1.0 + clip_eps) * advantages
    # subtle: the min makes the objective pessimistic; where the clipped term wins its ratio
    # is out of range, clamp's gradient is 0, and the token stops pushing the policy
    surrogate = torch.minimum(unclipped, clipped)                     # (B, T)
    per_token = -surrogate
    if kl_coef != 0.0:
        # k3 = r - 1 - log r with r = pi_old / pi_new: unbiased for KL(new || old), always >= 0
        neg_log_ratio = -log_ratio
        per_token = per_token + kl_coef * (torch.exp(neg_log_ratio) - 1.0 - neg_log_ratio)
    if mask is None:
        return per_token.mean()                                       # ()
    # subtle: padding leaves the sum AND the count; dividing by B*T would shrink the loss
    total = torch.where(mask, per_token, torch.zeros_like(per_token)).sum()
    return total / mask.sum()                                         # one mean over real tokens
