"""Correct, differently written: stacked log-ratios, softplus(-z), rewards left attached."""
import torch
import torch.nn.functional as F


def dpo_loss(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    policy = torch.stack([policy_chosen_logps, policy_rejected_logps])   # (2, B)
    ref = torch.stack([ref_chosen_logps, ref_rejected_logps])            # (2, B)
    rewards = beta * (policy - ref)                                      # (2, B)
    # -log sigmoid(z) = softplus(-z) = log(1 + exp(-z)), stable in torch
    loss = F.softplus(rewards[1] - rewards[0]).sum() / rewards.shape[1]
    return loss, rewards[0], rewards[1]
