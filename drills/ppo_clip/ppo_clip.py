"""PPO's clipped surrogate loss, per token, as used to fine-tune LLMs with RL.

Write `ppo_clip_loss(logp_new, logp_old, advantages, clip_eps=0.2, mask=None, kl_coef=0.0)`.

Inputs, all of shape (B, T) (B sequences of T generated tokens):
    logp_new     log-prob of each sampled token under the policy being trained (requires grad)
    logp_old     log-prob of the same token under the policy that sampled it (a constant)
    advantages   the advantage estimate of each token (a constant)
    mask         bool (B, T), True = a real token, False = padding; None = every token is real.
                 A row may be all padding; the batch always has at least one real token.
                 Values at padded positions are finite but arbitrary: they must not change
                 the loss (or its gradient).
    clip_eps     the clipping range epsilon (default 0.2)
    kl_coef      weight of the KL penalty (default 0.0: no penalty)
float32 or float64.

Per token:
    ratio     = exp(logp_new - logp_old)
    surrogate = min(ratio * A,  clip(ratio, 1 - clip_eps, 1 + clip_eps) * A)
    kl        = (r - 1) - log r,   with r = exp(logp_old - logp_new)
                (Schulman's "k3" estimator, as in GRPO: >= 0, and 0 where new == old)

    loss = -(mean of surrogate over the real tokens) + kl_coef * (mean of kl over the real tokens)

"Mean over the real tokens" is ONE mean over every real token of the whole batch:
sum over real tokens / number of real tokens. Not a mean per sequence followed by a mean
over sequences, and never a mean that counts padding.

Returns a 0-dim tensor in the inputs' dtype, on their device. It must be differentiable
with respect to logp_new; the grader checks the gradient. In particular, with kl_coef = 0,
a token whose ratio is clipped in the direction of its advantage (A > 0 and
ratio > 1 + clip_eps, or A < 0 and ratio < 1 - clip_eps) gets exactly zero gradient, and
so does every padded token.

No library PPO/RL loss; write it with exp, clamp, minimum/where, sums. Do not modify the
inputs in place.

Example (B = 1, T = 3, clip_eps = 0.2):
    logp_old   = [[-1.0, -1.0, -2.0]]
    logp_new   = [[-0.5945, -1.6931, -2.0]]     ratio = [1.5, 0.5, 1.0]
    advantages = [[ 1.0,  1.0, -2.0]]
    surrogate  = [min(1.5, 1.2), min(0.5, 0.8), min(-2, -2)] = [1.2, 0.5, -2.0]
    loss = -(1.2 + 0.5 - 2.0) / 3 = 0.1
    with mask = [[True, True, False]]:  loss = -(1.2 + 0.5) / 2 = -0.85
    with kl_coef = 0.1 (no mask): r = [2/3, 2, 1], kl ≈ [0.0721, 0.3069, 0.0], mean ≈ 0.1263,
    loss ≈ 0.1 + 0.1 * 0.1263 ≈ 0.1126
The first token gets no gradient (A > 0, ratio 1.5 > 1.2: clipped); the second does
(its ratio is below 1 - eps, but with A > 0 the min picks the unclipped term).
"""
import torch


def ppo_clip_loss(logp_new: torch.Tensor, logp_old: torch.Tensor, advantages: torch.Tensor,
                  clip_eps: float = 0.2, mask: torch.Tensor | None = None,
                  kl_coef: float = 0.0) -> torch.Tensor:
    raise NotImplementedError
