"""Beam search.

Write `beam_search(log_probs, bos_id, eos_id, beam_size, max_len, length_penalty=1.0)`.

The model is a bigram table (data, so the grader can hand it to your code):
    log_probs  (V, V) float32 or float64; row a holds log P(next token | last token a),
               each row a log-distribution over the V tokens.
A hypothesis is the list of tokens generated after BOS; BOS itself is never part of it,
and the first token is drawn from row bos_id. Its running score is the SUM of the
log-probs of its tokens (not a product of probabilities).

The search, exactly:
    live = [ [] ] (one empty hypothesis, score 0), finished = [ ]
    repeat at most max_len times (so a hypothesis has at most max_len tokens):
        slots = beam_size - len(finished); stop if slots == 0
        extend every live hypothesis by every token v in 0..V-1 (score + log_probs[last, v])
        keep the `slots` best of these candidates by running score (all if there are fewer)
        the kept ones that end in eos_id are FINISHED: moved to `finished`, never extended
        the other kept ones are the new live hypotheses
So the search stops once beam_size hypotheses have finished, or after max_len steps.

The answer:
    final score = running score / length ** length_penalty,
    length = the number of generated tokens INCLUDING the EOS, excluding BOS.
    length_penalty = 0 gives the raw sum; 1 the mean log-prob per token.
    Return the finished hypothesis with the best final score. Only if none finished within
    max_len, return the best live hypothesis (by final score) instead.
    Pruning during the search uses the running score (raw sum), not the final score.
Returns a tuple (tokens, score): tokens a Python list of ints (ending in eos_id when a
hypothesis finished), score a Python float.

Sizes are small (V <= 8, max_len <= 6; beam_size may exceed the number of candidates).
Ties between scores do not occur in grading (random log-probs). bos_id may equal eos_id
(as in GPT-2); EOS can be the very first token. Do not modify log_probs in place.

Example (tokens: 0 = EOS, 1 = "a", 2 = "b", 3 = BOS):
    P = torch.tensor([[.25, .25, .25, .25],      # after EOS (never used)
                      [.60, .10, .25, .05],      # after "a"
                      [.10, .10, .75, .05],      # after "b"
                      [.30, .40, .25, .05]],     # after BOS
                     dtype=torch.float64)
    beam_search(P.log(), bos_id=3, eos_id=0, beam_size=2, max_len=3)
        step 1: keep "a" (log .4 = -0.916) and EOS (log .3 = -1.204); [EOS] finishes
        step 2: one slot left: "a EOS" (-0.916 + log .6 = -1.427) finishes: 2 finished, stop
        final scores: [0] -> -1.204 / 1;  [1, 0] -> -1.427 / 2 = -0.714
        -> ([1, 0], -0.7136)
    with length_penalty=0.0 -> ([0], -1.2040)   (the raw sums: -1.204 > -1.427)
"""
import torch


def beam_search(log_probs: torch.Tensor, bos_id: int, eos_id: int, beam_size: int, max_len: int,
                length_penalty: float = 1.0) -> tuple[list[int], float]:
    raise NotImplementedError
