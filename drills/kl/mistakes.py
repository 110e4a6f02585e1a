"""Classic wrong answers to the KL drill; each must fail the spec."""
import torch

from grader.props import mistake


def _log_probs(p_logits, q_logits, dim):
    return torch.log_softmax(p_logits, dim=dim), torch.log_softmax(q_logits, dim=dim)


def _kl(log_p, log_q, dim):
    p = log_p.exp()
    return torch.where(p > 0, p * (log_p - log_q), 0.0).sum(dim=dim)


@mistake("reversed", "computes KL(Q || P) instead of KL(P || Q)",
         explain="KL is not symmetric. KL(P || Q) weights the log-ratio by P, the first argument: "
                 "sum P (log P - log Q).")
def kl_divergence(p_logits, q_logits, dim=-1):
    log_p, log_q = _log_probs(p_logits, q_logits, dim)
    return _kl(log_q, log_p, dim)


@mistake("softmax_then_log", "takes the log of a softmax (inf/NaN for large logits)", entry="kl_divergence",
         explain="softmax(x) underflows to exactly 0 for logits far below the maximum (e.g. 1e4 apart), "
                 "and log(0) = -inf. log_softmax (x - logsumexp(x)) stays finite.")
def softmax_then_log(p_logits, q_logits, dim=-1):
    p, q = torch.softmax(p_logits, dim=dim), torch.softmax(q_logits, dim=dim)
    return (p * (p.log() - q.log())).sum(dim=dim)


@mistake("nan_for_zero_probability", "P(x) = 0 gives 0 * (-inf) = NaN instead of 0", entry="kl_divergence",
         explain="With a -inf logit, log P(x) = -inf and P(x) = 0; the term must be 0 (0 log 0 = 0). "
                 "Select it away with torch.where (multiplying by a mask still gives NaN).")
def nan_for_zero_probability(p_logits, q_logits, dim=-1):
    log_p, log_q = _log_probs(p_logits, q_logits, dim)
    return (log_p.exp() * (log_p - log_q)).sum(dim=dim)


@mistake("last_axis_only", "always uses the last axis, ignoring dim", entry="kl_divergence",
         explain="Both the softmax and the sum must run along `dim`.")
def last_axis_only(p_logits, q_logits, dim=-1):
    log_p, log_q = _log_probs(p_logits, q_logits, -1)
    return _kl(log_p, log_q, -1)


@mistake("mean_over_distributions", "returns the mean over all distributions instead of one KL each",
         entry="kl_divergence",
         explain="The function returns one KL per distribution (the shape without dim); averaging is "
                 "the caller's choice.")
def mean_over_distributions(p_logits, q_logits, dim=-1):
    log_p, log_q = _log_probs(p_logits, q_logits, dim)
    return _kl(log_p, log_q, dim).mean()


@mistake("keepdim", "keeps the reduced axis as size 1 (keepdim=True)", entry="kl_divergence",
         explain="The result has the input's shape with dim removed: sum(dim) without keepdim.")
def keepdim(p_logits, q_logits, dim=-1):
    log_p, log_q = _log_probs(p_logits, q_logits, dim)
    p = log_p.exp()
    return torch.where(p > 0, p * (log_p - log_q), 0.0).sum(dim=dim, keepdim=True)


@mistake("no_p_weighting", "sums log P - log Q without weighting by P", entry="kl_divergence",
         explain="KL is an expectation under P: each log-ratio is weighted by P(x). The plain sum "
                 "can be negative.")
def no_p_weighting(p_logits, q_logits, dim=-1):
    log_p, log_q = _log_probs(p_logits, q_logits, dim)
    return (log_p - log_q).sum(dim=dim)


@mistake("q_not_normalised", "uses q_logits as if they were log Q (no log_softmax on q)", entry="kl_divergence",
         explain="Logits are log-probabilities only up to a constant: log Q = log_softmax(q_logits).")
def q_not_normalised(p_logits, q_logits, dim=-1):
    log_p = torch.log_softmax(p_logits, dim=dim)
    return _kl(log_p, q_logits, dim)
