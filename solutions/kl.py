"""Reference: KL(P || Q) between two categorical distributions given as logits.

Left out on purpose: reductions (this returns one KL per distribution; a loss would take
.mean() or, like F.kl_div's 'batchmean', sum / batch size), temperature scaling as in
distillation, and -inf in q_logits (KL is +inf wherever Q(x) = 0 < P(x)).
"""
import torch


def kl_divergence(p_logits, q_logits, dim=-1):
    # p_logits, q_logits: the same shape (..., V, ...); V (the outcomes) is at `dim`
    # subtle: log_softmax, never softmax(...).log(): at logits ~1e4 the softmax underflows
    # to exact zeros and log(0) = -inf turns the sum into inf or NaN
    log_p = torch.log_softmax(p_logits, dim=dim)   # same shape; -inf where a p logit is -inf
    log_q = torch.log_softmax(q_logits, dim=dim)
    p = log_p.exp()
    # subtle: where P(x) = 0, log_p is -inf and 0 * (-inf) = NaN; by convention 0 log 0 = 0
    terms = torch.where(p > 0, p * (log_p - log_q), 0.0)
    return terms.sum(dim=dim)   # the shape with `dim` removed, one KL per distribution
