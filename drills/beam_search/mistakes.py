"""Classic wrong answers to the beam search drill; each must fail the spec.

They share one search loop (`_search`) with one thing changed each.
"""
import math

import torch

from grader.props import mistake


def _search(log_probs, bos_id, eos_id, beam_size, max_len, length_penalty=1.0, *, keep_finished_live=False,
            eos_is_ordinary=False, stop_at_first_eos=False, pool_all=False, normalise=True, score="log",
            extra_length=0):
    table = log_probs.detach().to("cpu", torch.float64)
    start = 1.0 if score == "prob_product" else 0.0
    live, finished = [([], start)], []
    for _ in range(max_len):
        slots = beam_size if eos_is_ordinary or keep_finished_live else beam_size - len(finished)
        if slots <= 0:
            break
        candidates = []
        for tokens, s in live:
            last = tokens[-1] if tokens else bos_id
            for v, lp in enumerate(table[last].tolist()):
                if score == "prob_product":
                    candidates.append((tokens + [v], s * math.exp(lp)))
                elif score == "prob_sum":
                    candidates.append((tokens + [v], s + math.exp(lp)))
                else:
                    candidates.append((tokens + [v], s + lp))
        candidates = sorted(candidates, key=lambda c: -c[1])[:slots]
        if eos_is_ordinary:
            live = candidates
            continue
        new = [c for c in candidates if c[0][-1] == eos_id]
        finished += new
        live = candidates if keep_finished_live else [c for c in candidates if c[0][-1] != eos_id]
        if keep_finished_live and len(finished) >= beam_size:
            break
        if stop_at_first_eos and finished:
            break
    pool = finished + live if pool_all or eos_is_ordinary else (finished or live)

    def final(c):
        if not normalise:
            return c[1]
        return c[1] / (len(c[0]) + extra_length) ** length_penalty

    best = max(pool, key=final)
    return best[0], final(best)


@mistake("finished_kept_expanding", "finished hypotheses stay in the beam and keep being extended past EOS",
         entry="beam_search",
         explain="A hypothesis that emits EOS is done: set it aside and never extend it; otherwise its "
                 "continuations take beam slots (and can produce EOS in the middle of an answer).")
def finished_kept_expanding(log_probs, bos_id, eos_id, beam_size, max_len, length_penalty=1.0):
    return _search(log_probs, bos_id, eos_id, beam_size, max_len, length_penalty, keep_finished_live=True)


@mistake("no_length_normalisation", "final choice and score by the raw sum, ignoring length_penalty",
         entry="beam_search",
         explain="The final score is sum / length ** length_penalty; raw sums favour short hypotheses because every "
                 "extra token adds a negative log-prob.")
def no_length_normalisation(log_probs, bos_id, eos_id, beam_size, max_len, length_penalty=1.0):
    return _search(log_probs, bos_id, eos_id, beam_size, max_len, length_penalty, normalise=False)


@mistake("multiplies_probabilities", "scores are products of probabilities instead of sums of log-probs",
         entry="beam_search",
         explain="Sum log-probs: a product of probabilities underflows for long sequences, and dividing a "
                 "probability by length ** penalty is not the normalised log-likelihood.")
def multiplies_probabilities(log_probs, bos_id, eos_id, beam_size, max_len, length_penalty=1.0):
    return _search(log_probs, bos_id, eos_id, beam_size, max_len, length_penalty, score="prob_product")


@mistake("sums_probabilities", "scores add probabilities instead of log-probs", entry="beam_search",
         explain="log P(sequence) is the sum of the tokens' LOG-probs; adding probabilities rewards long "
                 "sequences and is not a likelihood.")
def sums_probabilities(log_probs, bos_id, eos_id, beam_size, max_len, length_penalty=1.0):
    return _search(log_probs, bos_id, eos_id, beam_size, max_len, length_penalty, score="prob_sum")


@mistake("eos_not_handled", "EOS is treated like any token: hypotheses run on past EOS to max_len",
         entry="beam_search",
         explain="When a hypothesis emits EOS it is finished: move it out of the beam, and stop once beam_size "
                 "hypotheses have finished.")
def eos_not_handled(log_probs, bos_id, eos_id, beam_size, max_len, length_penalty=1.0):
    return _search(log_probs, bos_id, eos_id, beam_size, max_len, length_penalty, eos_is_ordinary=True)


@mistake("unfinished_compete_with_finished", "the final choice also considers unfinished (cut-off) hypotheses",
         entry="beam_search",
         explain="An unfinished hypothesis is only a fallback when nothing finished within max_len; otherwise "
                 "return the best FINISHED one, even if a cut-off hypothesis scores higher.")
def unfinished_compete(log_probs, bos_id, eos_id, beam_size, max_len, length_penalty=1.0):
    return _search(log_probs, bos_id, eos_id, beam_size, max_len, length_penalty, pool_all=True)


@mistake("stops_at_first_eos", "the search stops as soon as one hypothesis finishes", entry="beam_search",
         explain="Keep searching with the remaining slots until beam_size hypotheses have finished (or max_len): "
                 "a longer hypothesis can still get a better normalised score.")
def stops_at_first_eos(log_probs, bos_id, eos_id, beam_size, max_len, length_penalty=1.0):
    return _search(log_probs, bos_id, eos_id, beam_size, max_len, length_penalty, stop_at_first_eos=True)


@mistake("length_counts_bos", "the length in the penalty counts BOS too (tokens + 1)", entry="beam_search",
         explain="length = generated tokens including EOS, excluding BOS.")
def length_counts_bos(log_probs, bos_id, eos_id, beam_size, max_len, length_penalty=1.0):
    return _search(log_probs, bos_id, eos_id, beam_size, max_len, length_penalty, extra_length=1)
