"""DPO: the Direct Preference Optimization loss (Rafailov et al., 2023).

Write `dpo_loss(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps,
ref_rejected_logps, beta=0.1)`.

Each of the four inputs has shape (B,): for every preference pair b, the log-probability
of the whole response (the SUM of its token log-probs, already computed) under the
policy being trained or under the frozen reference model, for the chosen (preferred)
and the rejected response. Log-probs are <= 0 in practice; the grader may pass any
finite values.

    chosen_rewards   = beta * (policy_chosen_logps   - ref_chosen_logps)      (B,)
    rejected_rewards = beta * (policy_rejected_logps - ref_rejected_logps)    (B,)
    loss = mean over b of  -log sigmoid(chosen_rewards[b] - rejected_rewards[b])

that is -logsigmoid(beta * ((pc - rc) - (pr - rr))) averaged over the batch (a mean,
not a sum). beta multiplies the log-ratios INSIDE the log-sigmoid.

Returns the tuple (loss, chosen_rewards, rejected_rewards):
    loss              a 0-dim tensor
    chosen_rewards    (B,)
    rejected_rewards  (B,)
all in the inputs' dtype (float32 or float64), on their device. The rewards are for
logging; returning them detached (as TRL does) or not is up to you, only their values are
checked. The loss must be differentiable with respect to the policy log-probs: the
grader backpropagates through it and checks the gradients.

Numerics: the loss must be finite and correct for margins beta * (...) of magnitude
1e4 and more, of either sign (one bad pair can have a huge log-ratio). log(sigmoid(z)) is not: sigmoid(z)
underflows to 0 for z around -1e2 and below. Use a stable log-sigmoid
(torch.nn.functional.logsigmoid, or softplus: -log sigmoid(z) = softplus(-z)).

Do not modify the inputs in place.

Example (beta = 0.5, B = 2):
    policy_chosen_logps   = [-1.0, -4.0]    ref_chosen_logps   = [-2.0, -3.0]
    policy_rejected_logps = [-3.0, -2.0]    ref_rejected_logps = [-2.0, -3.0]
    chosen_rewards   = 0.5 * [1, -1] = [ 0.5, -0.5]
    rejected_rewards = 0.5 * [-1, 1] = [-0.5,  0.5]
    per pair: -logsigmoid([1.0, -1.0]) ≈ [0.3133, 1.3133]
    loss ≈ 0.8133
With policy == reference every reward is 0 and the loss is log 2 ≈ 0.6931.
"""
import torch


def dpo_loss(policy_chosen_logps: torch.Tensor, policy_rejected_logps: torch.Tensor,
             ref_chosen_logps: torch.Tensor, ref_rejected_logps: torch.Tensor,
             beta: float = 0.1) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    raise NotImplementedError
