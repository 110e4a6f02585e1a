"""Correct, differently written: log-probabilities as x - logsumexp(x), and the 0·log 0
terms zeroed with torch.where on the -inf log-probabilities (not on P)."""
import torch


def kl_divergence(p_logits, q_logits, dim=-1):
    log_p = p_logits - torch.logsumexp(p_logits, dim=dim, keepdim=True)
    log_q = q_logits - torch.logsumexp(q_logits, dim=dim, keepdim=True)
    ratio = torch.where(torch.isneginf(log_p), torch.zeros_like(log_p), log_p - log_q)
    return torch.sum(torch.exp(log_p) * ratio, dim=dim)
