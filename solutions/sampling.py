"""Reference: temperature, top-k and top-p (nucleus) filtering, and sampling a next token.

Left out on purpose: min-p, typical sampling, repetition penalties, `min_tokens_to_keep`
(here always one), per-row temperatures or k/p values, and batched beams.
"""
import torch


def filter_logits(logits, temperature=1.0, top_k=None, top_p=None):
    # logits (B, V) -> (B, V), same dtype: logits / T, tokens outside top-k / top-p set to -inf
    scores = logits / temperature                                   # (B, V)
    V = scores.shape[-1]
    if top_k is not None and top_k < V:
        kth = torch.topk(scores, top_k, dim=-1).values[..., -1:]    # (B, 1): the k-th largest
        # subtle: `<` keeps every token tied with the k-th largest (more than k only on ties)
        scores = scores.masked_fill(scores < kth, float("-inf"))
    if top_p is not None and top_p < 1.0:
        sorted_scores, order = scores.sort(dim=-1, descending=True)  # (B, V) each
        # probabilities of what is left after top-k: the -inf tokens get exactly 0
        probs = sorted_scores.softmax(dim=-1, dtype=torch.promote_types(scores.dtype, torch.float32))
        # mass of the tokens ranked strictly above each token (an exclusive cumsum)
        before = probs.cumsum(dim=-1) - probs
        # subtle: a token is kept while the mass before it is still < p, so the token that
        # crosses p is kept, and the most likely token (before = 0) always is
        drop_sorted = before >= top_p                                 # (B, V) in sorted order
        drop = drop_sorted.scatter(-1, order, drop_sorted)            # back to vocabulary order
        scores = scores.masked_fill(drop, float("-inf"))
    return scores


def sample(logits, generator, temperature=1.0, top_k=None, top_p=None):
    # logits (B, V) -> (B,) int64 token ids
    if temperature == 0:
        return logits.argmax(dim=-1)  # greedy: no randomness, the generator is not used
    scores = filter_logits(logits, temperature, top_k, top_p)
    probs = scores.softmax(dim=-1, dtype=torch.promote_types(scores.dtype, torch.float32))  # (B, V)
    return torch.multinomial(probs, num_samples=1, generator=generator).squeeze(-1)     # (B,)
