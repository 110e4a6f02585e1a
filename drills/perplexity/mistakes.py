"""Classic wrong perplexity / bits computations; each must fail the spec."""
import math

import torch

from grader.props import mistake

LN2 = math.log(2)


def _logp(logits, stable=True):
    if stable:
        return torch.log_softmax(logits, dim=-1)
    return torch.softmax(logits, dim=-1).log()


def _nll(logits, targets, pad_id, *, stable=True, shift=False, count_pad=False):
    """(Σ NLL, N, per-position NLL, keep mask)."""
    if shift:
        logits, targets = logits[:, :-1], targets[:, 1:]
    nll = -_logp(logits, stable).gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    keep = torch.ones_like(targets, dtype=torch.bool) if count_pad else targets != pad_id
    total = torch.where(keep, nll, torch.zeros_like(nll)).sum()
    return total, keep.sum(), nll, keep


def _three(**kw):
    def perplexity(logits, targets, pad_id):
        total, n, _, _ = _nll(logits, targets, pad_id, **kw)
        return torch.exp(total / n).to(logits.dtype)

    def bits_per_token(logits, targets, pad_id):
        total, n, _, _ = _nll(logits, targets, pad_id, **kw)
        return (total / n / LN2).to(logits.dtype)

    def bits_per_char(logits, targets, pad_id, n_chars):
        total, _, _, _ = _nll(logits, targets, pad_id, **kw)
        return (total / LN2 / n_chars).to(logits.dtype)

    return perplexity, bits_per_token, bits_per_char


_pad_ppl, _pad_bpt, _pad_bpc = _three(count_pad=True)
_shift_ppl, _shift_bpt, _shift_bpc = _three(shift=True)
_log_ppl, _log_bpt, _log_bpc = _three(stable=False)

PAD = dict(id="padding_averaged_in", title="padding counted: the NLL is averaged (summed) over pad positions too",
           explain="Positions whose target is pad_id are not text: leave them out of the sum AND the count "
                   "(mask = targets != pad_id). Counting them mixes in whatever the model predicts after the end "
                   "of each sequence and depends on how much padding the batch happens to have.")
mistake(PAD["id"], PAD["title"], entry="perplexity", explain=PAD["explain"])(_pad_ppl)
mistake(PAD["id"], "", entry="bits_per_token")(_pad_bpt)
mistake(PAD["id"], "", entry="bits_per_char")(_pad_bpc)

SHIFT = dict(id="extra_shift", title="logits shifted again (logits[:, :-1] vs targets[:, 1:]) although already aligned",
             explain="The prompt's logits[b, t] already predicts targets[b, t]. Shifting once more scores each "
                     "position against the NEXT target; shift exactly once, where the logits come out of the model.")
mistake(SHIFT["id"], SHIFT["title"], entry="perplexity", explain=SHIFT["explain"])(_shift_ppl)
mistake(SHIFT["id"], "", entry="bits_per_token")(_shift_bpt)
mistake(SHIFT["id"], "", entry="bits_per_char")(_shift_bpc)

LOG = dict(id="log_of_softmax", title="log(softmax(x)) instead of log_softmax: -inf when a probability underflows",
           explain="A target probability of exp(-150) is 0 in float32, so its log is -inf and the NLL inf, although "
                   "the true NLL is 150. log_softmax computes (x - max) - log Σ exp(x - max) and stays finite.")
mistake(LOG["id"], LOG["title"], entry="perplexity", explain=LOG["explain"])(_log_ppl)
mistake(LOG["id"], "", entry="bits_per_token")(_log_bpt)
mistake(LOG["id"], "", entry="bits_per_char")(_log_bpc)


@mistake("bits_in_nats", "bits computed in nats: the mean NLL is not divided by ln 2", entry="bits_per_token",
         explain="Cross-entropy from log_softmax is in nats (natural log). One bit is ln 2 ≈ 0.693 nats, so "
                 "bits = nats / ln 2; perplexity is the same either way: exp(nats) = 2^bits.")
def bits_in_nats_bpt(logits, targets, pad_id):
    total, n, _, _ = _nll(logits, targets, pad_id)
    return (total / n).to(logits.dtype)


@mistake("bits_in_nats", "", entry="bits_per_char")
def bits_in_nats_bpc(logits, targets, pad_id, n_chars):
    total, _, _, _ = _nll(logits, targets, pad_id)
    return (total / n_chars).to(logits.dtype)


@mistake("perplexity_base_2", "perplexity as 2 ** (mean NLL in nats): bases mixed", entry="perplexity",
         explain="Perplexity is exp(mean NLL in nats) = 2 ** (mean NLL in bits). The base of the power must match "
                 "the base of the log: 2 ** nats is too small.")
def perplexity_base_2(logits, targets, pad_id):
    total, n, _, _ = _nll(logits, targets, pad_id)
    return torch.pow(2.0, total / n).to(logits.dtype)


@mistake("mean_of_sequence_perplexities", "the mean of per-sequence perplexities instead of exp of the token mean",
         entry="perplexity",
         explain="Corpus perplexity is exp of the mean NLL over ALL tokens. Averaging exp(per-row mean) weights short "
                 "rows like long ones and, since exp is convex, is always >= the right value (Jensen).")
def mean_of_sequence_perplexities(logits, targets, pad_id):
    _, _, nll, keep = _nll(logits, targets, pad_id)
    per_row = torch.where(keep, nll, torch.zeros_like(nll)).sum(-1) / keep.sum(-1)   # NaN for an all-pad row
    rows = keep.any(-1)
    return torch.exp(per_row[rows]).mean().to(logits.dtype)
