"""Sampling the next token: temperature, top-k, top-p (nucleus).

Write two functions. logits has shape (B, V): one row of next-token scores per sequence,
float32 or float64.

filter_logits(logits, temperature=1.0, top_k=None, top_p=None) -> (B, V), logits' dtype
    Returns scores in which the excluded tokens are -inf, the others logits / temperature.
    Steps, each on every row, in this order:
    1. Temperature: divide the logits by `temperature` (> 0 here; 1.0 changes nothing).
    2. Top-k (top_k an int >= 1, or None = off): keep every token whose score is >= the
       k-th largest score of its row, set the rest to -inf. With distinct scores that is
       exactly k tokens; tokens tied with the k-th largest are all kept. top_k >= V keeps all.
    3. Top-p (top_p a float in (0, 1], or None = off; 1.0 is off too): on the distribution
       left after top-k, softmax(scores), keep the SMALLEST set of most probable tokens whose
       total probability reaches top_p. Equivalently: sort the probabilities in decreasing
       order and keep a token if the total probability of the tokens ranked above it is
       < top_p. So the token that crosses top_p is kept, and the most likely token is always
       kept (a row never ends up all -inf). Ties in probability at the boundary are not
       graded.
    Do not modify logits in place.

sample(logits, generator, temperature=1.0, top_k=None, top_p=None) -> (B,) int64
    One token id per row, drawn from softmax(filter_logits(logits, temperature, top_k, top_p)).
    `generator` is a torch.Generator on logits' device: draw with
        torch.multinomial(probs, num_samples=1, generator=generator)
    and use no other randomness (not the global RNG), so that a generator seeded the same
    way gives the same tokens. temperature == 0 means greedy decoding: return
    logits.argmax(-1) (top_k and top_p change nothing then; the generator is not used).
    The result lives on logits' device.

What is graded: filter_logits against the reference and the rules above; sample by its
outputs: greedy equals argmax, top_k=1 equals argmax, the token frequencies over many
draws match the filtered distribution (each token's count within 6 binomial standard
deviations of its expected count, plus 3 for rare tokens; an excluded token never
drawn), and the same seed gives the same tokens.

Example:
    logits = torch.tensor([[2.0, 1.0, 0.0, -1.0]])   # softmax ≈ [0.644, 0.237, 0.087, 0.032]
    filter_logits(logits, top_k=2)          -> [[2.0, 1.0, -inf, -inf]]
    filter_logits(logits, top_p=0.8)        -> [[2.0, 1.0, -inf, -inf]]   # 0.644 < 0.8 <= 0.881
    filter_logits(logits, top_p=0.5)        -> [[2.0, -inf, -inf, -inf]]  # 0.644 alone reaches 0.5
    filter_logits(logits, 2.0, top_p=0.8)   -> [[1.0, 0.5, 0.0, -inf]]   # T=2: ≈ [0.455, 0.276, 0.167, 0.102]
    sample(logits, torch.Generator().manual_seed(0), top_k=2)  -> tensor([0]) or tensor([1])
"""
import torch


def filter_logits(logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None,
                  top_p: float | None = None) -> torch.Tensor:
    raise NotImplementedError


def sample(logits: torch.Tensor, generator: torch.Generator, temperature: float = 1.0,
           top_k: int | None = None, top_p: float | None = None) -> torch.Tensor:
    raise NotImplementedError
