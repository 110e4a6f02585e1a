"""Reference: the DPO loss on per-sequence log-probabilities.

Left out on purpose: computing the sequence log-probs from logits (gather the label
tokens' log-softmax, mask the prompt and padding, sum), label smoothing / conservative
DPO, the IPO and hinge variants, and reference-free DPO. TRL's `dpo_loss` does all of
these; this is its sigmoid loss.
"""
import torch.nn.functional as F


def dpo_loss(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    # all four (B,): summed log-probs of each response under the policy / the frozen reference
    chosen_logratios = policy_chosen_logps - ref_chosen_logps          # (B,)
    rejected_logratios = policy_rejected_logps - ref_rejected_logps    # (B,)
    # the implicit reward of a response is beta times its log-ratio to the reference
    logits = beta * (chosen_logratios - rejected_logratios)            # (B,)
    # subtle: logsigmoid, never sigmoid(...).log(): sigmoid(-1e3) is exactly 0 in float32/64
    # and log(0) = -inf, while logsigmoid(-1e3) = -1e3
    loss = -F.logsigmoid(logits).mean()                                # ()
    chosen_rewards = (beta * chosen_logratios).detach()                # (B,), for logging only
    rejected_rewards = (beta * rejected_logratios).detach()
    return loss, chosen_rewards, rejected_rewards
