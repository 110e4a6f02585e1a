"""Classic wrong answers to the softmax / cross-entropy drill; each must fail the spec.

cross_entropy variants share `_ce`, which is right unless told otherwise, so each one
differs from the reference in exactly one place.
"""
import torch

from grader.props import mistake


def _work(x):
    return x.to(torch.promote_types(x.dtype, torch.float32))


def _stable_log_softmax(x, dim):
    z = x - x.amax(dim=dim, keepdim=True)
    return z - z.exp().sum(dim=dim, keepdim=True).log()


def _ce(logits, targets, ignore_index=-100, label_smoothing=0.0, *, axis=1, log_softmax=_stable_log_softmax,
        denominator="kept", smoothing="torch", smooth_ignored=False, sign=1.0, reduce="mean", empty="nan"):
    logp = log_softmax(_work(logits), axis)  # (N, C, *extra), normalised along `axis`
    C = logp.shape[1]
    keep = targets != ignore_index
    safe = torch.where(keep, targets, torch.zeros_like(targets))
    picked = logp.gather(1, safe.unsqueeze(1)).squeeze(1)
    nll = -picked
    loss = torch.where(keep, nll, torch.zeros_like(nll)) * (1.0 - label_smoothing)
    if label_smoothing:
        if smoothing == "torch":
            smooth = -logp.mean(dim=1)
        elif smoothing == "other_classes":  # ε/(C-1) on every class but the target
            smooth = -(logp.sum(dim=1) - picked) / max(C - 1, 1)
        else:  # "no_1_over_c": ε·Σ_c instead of ε·mean_c
            smooth = -logp.sum(dim=1)
        if not smooth_ignored:
            smooth = torch.where(keep, smooth, torch.zeros_like(smooth))
        loss = loss + label_smoothing * smooth
    total = sign * loss.sum()
    if reduce == "sum":
        return total.to(logits.dtype)
    count = keep.sum() if denominator == "kept" else torch.tensor(targets.numel())
    if empty == "zero":
        count = count.clamp_min(1)
    return (total / count).to(logits.dtype)


# -- softmax / log_softmax ----------------------------------------------------------------

@mistake("no_max_subtraction", "exp(x) without subtracting the max first: overflows for large logits",
         entry="softmax",
         explain="exp(1e4) is inf in every float dtype, so exp(x)/Σexp(x) gives inf/inf = NaN. Softmax is "
                 "unchanged by a shift, so compute exp(x - max(x)) instead: the largest term is exp(0) = 1.")
def no_max_softmax(x, dim=-1):
    e = _work(x).exp()
    return (e / e.sum(dim=dim, keepdim=True)).to(x.dtype)


@mistake("no_max_subtraction", "", entry="log_softmax")
def no_max_log_softmax(x, dim=-1):
    xf = _work(x)
    return (xf - xf.exp().sum(dim=dim, keepdim=True).log()).to(x.dtype)


@mistake("no_max_subtraction", "", entry="cross_entropy")
def no_max_cross_entropy(logits, targets, ignore_index=-100, label_smoothing=0.0):
    return _ce(logits, targets, ignore_index, label_smoothing,
               log_softmax=lambda x, d: x - x.exp().sum(dim=d, keepdim=True).log())


@mistake("log_of_softmax", "log_softmax computed as log(softmax(x)): -inf far below the max",
         entry="log_softmax",
         explain="A probability below ~1e-45 (float32) underflows to 0 and its log is -inf, although the "
                 "log-probability itself (say -200) is an ordinary number. Compute (x - max) - log Σ exp(x - max).")
def log_of_softmax(x, dim=-1):
    xf = _work(x)
    e = (xf - xf.amax(dim=dim, keepdim=True)).exp()
    return (e / e.sum(dim=dim, keepdim=True)).log().to(x.dtype)


@mistake("log_of_softmax", "", entry="cross_entropy")
def log_of_softmax_cross_entropy(logits, targets, ignore_index=-100, label_smoothing=0.0):
    def logsm(x, d):
        e = (x - x.amax(dim=d, keepdim=True)).exp()
        return (e / e.sum(dim=d, keepdim=True)).log()
    return _ce(logits, targets, ignore_index, label_smoothing, log_softmax=logsm)


@mistake("softmax_ignores_dim", "always normalised over the last axis, whatever `dim` says", entry="softmax",
         explain="Softmax runs along the axis it is given: sum (and max) with dim=dim, keepdim=True, so "
                 "the result broadcasts back over that same axis.")
def last_axis_softmax(x, dim=-1):
    return torch.softmax(_work(x), dim=-1).to(x.dtype)


@mistake("softmax_ignores_dim", "", entry="log_softmax")
def last_axis_log_softmax(x, dim=-1):
    return torch.log_softmax(_work(x), dim=-1).to(x.dtype)


# -- cross_entropy ------------------------------------------------------------------------

@mistake("class_axis_last", "log-softmax over the last axis instead of the class axis (dim 1)",
         entry="cross_entropy",
         explain="torch's cross_entropy takes (N, C, d1, ...) logits: the classes are on dim 1, not last "
                 "(a language model's logits are passed as (batch, vocab, seq)). Normalise over dim 1.")
def class_axis_last(logits, targets, ignore_index=-100, label_smoothing=0.0):
    # normalised along the last axis, gathered along dim 1: right for (N, C), wrong once extra dims exist
    return _ce(logits, targets, ignore_index, label_smoothing, axis=-1)


@mistake("ignored_in_denominator", "mean over all targets: ignored ones count in the denominator",
         entry="cross_entropy",
         explain="Ignored targets are left out of the count too: divide the summed loss by the number of "
                 "targets != ignore_index, not by N. Otherwise padding silently shrinks the loss.")
def ignored_in_denominator(logits, targets, ignore_index=-100, label_smoothing=0.0):
    return _ce(logits, targets, ignore_index, label_smoothing, denominator="all")


@mistake("all_ignored_gives_zero", "every target ignored gives 0 instead of NaN", entry="cross_entropy",
         explain="The prompt (and torch) define the mean over no target as 0 / 0 = NaN; clamping the count to 1 "
                 "returns 0 instead. Divide by the plain count.")
def all_ignored_gives_zero(logits, targets, ignore_index=-100, label_smoothing=0.0):
    return _ce(logits, targets, ignore_index, label_smoothing, empty="zero")


@mistake("sum_not_mean", "summed over the kept targets instead of averaged", entry="cross_entropy",
         explain="The reduction is the mean over kept targets: divide the sum by their count.")
def sum_not_mean(logits, targets, ignore_index=-100, label_smoothing=0.0):
    return _ce(logits, targets, ignore_index, label_smoothing, reduce="sum")


@mistake("sign_flipped", "returns the mean log-probability (no minus sign): a negative loss", entry="cross_entropy",
         explain="Cross-entropy is the NEGATIVE log-likelihood: -log p(target) >= 0.")
def sign_flipped(logits, targets, ignore_index=-100, label_smoothing=0.0):
    return _ce(logits, targets, ignore_index, label_smoothing, sign=-1.0)


@mistake("smoothing_over_other_classes", "label smoothing puts ε/(C-1) on the other classes instead of ε/C on all",
         entry="cross_entropy",
         explain="torch's (and Szegedy et al.'s) smoothed target is (1 - ε)·onehot + ε/C over ALL C classes, the "
                 "true one included; ε/(C-1) on the others is a different (also seen) convention.")
def smoothing_over_other_classes(logits, targets, ignore_index=-100, label_smoothing=0.0):
    return _ce(logits, targets, ignore_index, label_smoothing, smoothing="other_classes")


@mistake("smoothing_sum_not_mean", "label smoothing term ε·Σ_c(-log p_c): the 1/C is missing", entry="cross_entropy",
         explain="The uniform part of the target puts ε/C on each class, so its loss is ε times the MEAN of "
                 "-log p_c over the classes, not the sum.")
def smoothing_sum_not_mean(logits, targets, ignore_index=-100, label_smoothing=0.0):
    return _ce(logits, targets, ignore_index, label_smoothing, smoothing="no_1_over_c")


@mistake("smoothing_on_ignored_rows", "the label-smoothing term is added for ignored targets too",
         entry="cross_entropy",
         explain="An ignored target contributes nothing, neither its -log p(target) nor its smoothing term; "
                 "mask the smoothed per-target loss, not only the one-hot part.")
def smoothing_on_ignored_rows(logits, targets, ignore_index=-100, label_smoothing=0.0):
    return _ce(logits, targets, ignore_index, label_smoothing, smooth_ignored=True)
