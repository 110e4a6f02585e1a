"""Classic wrong answers to the sampling drill; each must fail the spec.

A wrong filter is registered for both entry points (filter_logits, and a sample that
uses it), as a user's sample calls their own filter_logits.
"""
import torch

from grader.props import mistake

NEG = float("-inf")


def _top_k(scores, top_k):
    if top_k is not None and top_k < scores.shape[-1]:
        kth = torch.topk(scores, top_k, dim=-1).values[..., -1:]
        scores = scores.masked_fill(scores < kth, NEG)
    return scores


def _top_p_sorted(scores, top_p, drop_rule):
    if top_p is None or top_p >= 1.0:
        return scores
    sorted_scores, order = scores.sort(dim=-1, descending=True)
    probs = sorted_scores.softmax(dim=-1, dtype=torch.promote_types(scores.dtype, torch.float32))
    drop_sorted = drop_rule(probs, top_p)
    return scores.masked_fill(drop_sorted.scatter(-1, order, drop_sorted), NEG)


def _keep_crossing(probs, top_p):
    return probs.cumsum(-1) - probs >= top_p


def _sample_from(scores, generator):
    probs = scores.softmax(dim=-1, dtype=torch.promote_types(scores.dtype, torch.float32))
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)


def _sampler(filter_fn):
    def sample(logits, generator, temperature=1.0, top_k=None, top_p=None):
        if temperature == 0:
            return logits.argmax(-1)
        return _sample_from(filter_fn(logits, temperature, top_k, top_p), generator)
    return sample


# -- top-p drops the token that crosses p ------------------------------------------------
def topp_drops_crossing(logits, temperature=1.0, top_k=None, top_p=None):
    scores = _top_k(logits / temperature, top_k)
    # the classic: remove where cumsum > p, without shifting by one token
    return _top_p_sorted(scores, top_p, lambda probs, p: probs.cumsum(-1) > p)


mistake("topp_drops_crossing", "top-p drops the token whose probability crosses p (and can empty a row)",
        entry="filter_logits",
        explain="Removing tokens where cumsum(probs) > p also removes the token that makes the mass reach p, "
                "so the kept mass is < p, and a row whose top token alone exceeds p keeps nothing. Compare the "
                "mass BEFORE each token with p (shift the cumsum by one).")(topp_drops_crossing)
mistake("topp_drops_crossing", "", entry="sample")(_sampler(topp_drops_crossing))


# -- temperature applied after the top-p decision ---------------------------------------
def temperature_after_top_p(logits, temperature=1.0, top_k=None, top_p=None):
    scores = _top_p_sorted(_top_k(logits, top_k), top_p, _keep_crossing)
    return scores / temperature


mistake("temperature_after_top_p", "the nucleus is chosen on untempered probabilities (temperature applied last)",
        entry="filter_logits",
        explain="Temperature comes first: top-p must see softmax(logits / T). A higher T flattens the distribution "
                "and widens the nucleus; choosing it at T = 1 keeps the wrong set.")(temperature_after_top_p)
mistake("temperature_after_top_p", "", entry="sample")(_sampler(temperature_after_top_p))


# -- top-k keeps k - 1 ------------------------------------------------------------------
def topk_keeps_fewer(logits, temperature=1.0, top_k=None, top_p=None):
    scores = logits / temperature
    if top_k is not None and top_k < scores.shape[-1]:
        kth = torch.topk(scores, top_k, dim=-1).values[..., -1:]
        scores = scores.masked_fill(scores <= kth, NEG)  # `<=` also removes the k-th token itself
    return _top_p_sorted(scores, top_p, _keep_crossing)


mistake("topk_keeps_fewer", "top-k removes the k-th largest too (keeps k - 1 tokens)", entry="filter_logits",
        explain="Mask the scores strictly BELOW the k-th largest (scores < kth); `<=` drops the k-th token.")(topk_keeps_fewer)
mistake("topk_keeps_fewer", "", entry="sample")(_sampler(topk_keeps_fewer))


# -- top-p on unsorted probabilities ----------------------------------------------------
def topp_unsorted(logits, temperature=1.0, top_k=None, top_p=None):
    scores = _top_k(logits / temperature, top_k)
    if top_p is None or top_p >= 1.0:
        return scores
    probs = scores.softmax(dim=-1, dtype=torch.promote_types(scores.dtype, torch.float32))
    before = probs.cumsum(-1) - probs  # in vocabulary order: not "the most probable first"
    return scores.masked_fill(before >= top_p, NEG)


mistake("topp_unsorted", "top-p cumulates probabilities in vocabulary order instead of sorted by probability",
        entry="filter_logits",
        explain="The nucleus is the set of MOST probable tokens: sort the probabilities in decreasing order before "
                "the cumulative sum, then map the decision back to the vocabulary order (scatter).")(topp_unsorted)
mistake("topp_unsorted", "", entry="sample")(_sampler(topp_unsorted))


# -- top-p before top-k -----------------------------------------------------------------
def topp_before_topk(logits, temperature=1.0, top_k=None, top_p=None):
    scores = _top_p_sorted(logits / temperature, top_p, _keep_crossing)
    return _top_k(scores, top_k)


mistake("topp_before_topk", "top-p measured on the full distribution instead of the one left after top-k",
        entry="filter_logits",
        explain="Top-k first, then top-p on softmax of what top-k left (renormalised, as in Hugging Face's and "
                "vLLM's samplers); the renormalised probabilities are larger, so the nucleus is smaller.")(topp_before_topk)
mistake("topp_before_topk", "", entry="sample")(_sampler(topp_before_topk))


# -- sample-only mistakes ---------------------------------------------------------------
@mistake("probs_divided_by_temperature", "temperature applied to the probabilities (softmax(logits) / T)",
         entry="sample",
         explain="Dividing probabilities by T changes nothing after renormalisation (multinomial renormalises): "
                 "the temperature must divide the LOGITS before the softmax.")
def probs_divided_by_temperature(logits, generator, temperature=1.0, top_k=None, top_p=None):
    if temperature == 0:
        return logits.argmax(-1)
    scores = _top_p_sorted(_top_k(logits, top_k), top_p, _keep_crossing)
    probs = scores.softmax(dim=-1) / temperature
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)


@mistake("sample_unfiltered", "sample ignores top_k and top_p (draws from softmax(logits / T))", entry="sample",
         explain="Sample from softmax of the FILTERED logits: filter_logits(logits, temperature, top_k, top_p).")
def sample_unfiltered(logits, generator, temperature=1.0, top_k=None, top_p=None):
    if temperature == 0:
        return logits.argmax(-1)
    return _sample_from(logits / temperature, generator)
