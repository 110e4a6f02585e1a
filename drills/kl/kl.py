"""KL divergence between two categorical distributions given by logits.

Write `kl_divergence(p_logits, q_logits, dim=-1)`:

    KL(P || Q) = sum over x of  P(x) * (log P(x) - log Q(x))
    with P = softmax(p_logits, dim) and Q = softmax(q_logits, dim)

The outcomes x run along axis `dim` (default -1; any axis, negative or positive).
The direction matters: this is KL(P || Q), weighted by P, the FIRST argument.

    p_logits, q_logits   the same shape (any number of dims), float32 or float64
    returns              one KL value per distribution: the input's shape with `dim`
                         removed (not kept as size 1), e.g.
                             (B, V),    dim=-1  ->  (B,)
                             (B, V, T), dim=1   ->  (B, T)
                             (V,)               ->  ()   a 0-dim tensor
                         in the inputs' dtype, on their device. No mean or sum over the
                         other axes: reducing is the caller's job.

Numerics (both are checked):
  - Large logits: for logits of magnitude around 1e4 (float32) the result must be finite
    and correct. softmax followed by log is not stable there; work with log-probabilities.
  - p_logits may contain -inf: that outcome has P(x) = 0 and adds exactly 0 to the sum
    (0 * log 0 = 0), not NaN. Every distribution in p_logits has at least one finite
    logit. q_logits are always finite.

Not allowed: torch.nn.functional.kl_div (and torch.kl_div), torch.nn.KLDivLoss,
torch.distributions.kl.kl_divergence (also exported as torch.distributions.kl_divergence).
Your own function's name is fine, of course. Everything else (log_softmax, logsumexp, softmax,
torch.where, torch.xlogy...) is fine. Do not modify the inputs in place.

Example:
    p_logits = [0.0, 0.0]          ->  P = [0.5, 0.5]
    q_logits = [0.0, log(3)]       ->  Q = [0.25, 0.75]
    KL(P || Q) = 0.5 * log(0.5 / 0.25) + 0.5 * log(0.5 / 0.75) = 0.5 * log(4/3) ≈ 0.1438
    kl_divergence(p_logits, q_logits) -> tensor(0.1438)   (shape (): one distribution)
"""
import torch


def kl_divergence(p_logits: torch.Tensor, q_logits: torch.Tensor, dim: int = -1) -> torch.Tensor:
    raise NotImplementedError
