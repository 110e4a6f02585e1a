"""Reference: beam search over a bigram next-token model given as a (V, V) table.

Left out on purpose: batching, a neural model and KV caches (the model here is a table,
so the search itself is the whole exercise), early-stopping heuristics that compare the
best finished score with an upper bound on live beams (Hugging Face's early_stopping=False),
n-gram blocking, diverse beams, and returning more than the best hypothesis.
"""
import torch


def beam_search(log_probs, bos_id, eos_id, beam_size, max_len, length_penalty=1.0):
    # log_probs (V, V): row a holds log P(next token | last token a)
    table = log_probs.detach().to("cpu", torch.float64)  # tiny: sum in float64 on the CPU
    live = [([], 0.0)]       # (generated tokens, sum of their log-probs); BOS is implicit
    finished = []            # hypotheses that ended in EOS: set aside, never extended
    for _ in range(max_len):
        slots = beam_size - len(finished)
        if slots <= 0:
            break  # beam_size hypotheses have finished
        candidates = []      # every live hypothesis extended by every token
        for tokens, score in live:
            last = tokens[-1] if tokens else bos_id
            row = table[last].tolist()                               # (V,)
            candidates += [(tokens + [v], score + lp) for v, lp in enumerate(row)]
        # subtle: prune by the RAW sum of log-probs; length normalisation is for the final
        # choice only (sorted() is stable: ties keep the earlier beam / smaller token id)
        candidates = sorted(candidates, key=lambda c: -c[1])[:slots]
        finished += [c for c in candidates if c[0][-1] == eos_id]
        live = [c for c in candidates if c[0][-1] != eos_id]
    # subtle: a finished hypothesis always beats an unfinished one; only when nothing
    # finished within max_len does the best live (cut-off) hypothesis come back
    pool = finished or live
    best_tokens, best_sum = max(pool, key=lambda c: c[1] / len(c[0]) ** length_penalty)
    return best_tokens, best_sum / len(best_tokens) ** length_penalty
