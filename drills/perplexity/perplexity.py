"""Perplexity, bits per token and bits per character of a language model.

Write three functions of the same inputs:

    logits   (B, T, V) float32 or float64, ALREADY ALIGNED with targets:
             logits[b, t] scores the token targets[b, t]. Do not shift (the
             caller did logits[:, :-1] / ids[:, 1:] already).
    targets  (B, T) int64 token ids in [0, V)
    pad_id   int in [0, V): positions whose target equals pad_id are padding,
             left out of every sum and every count. No real target equals
             pad_id. At least one target in the batch is not padding (a whole
             row may be).

With NLL(b, t) = -log softmax(logits[b, t])[targets[b, t]] (natural log) and N the number
of non-pad targets in the WHOLE batch:

    perplexity(logits, targets, pad_id)              = exp(Σ NLL / N)
    bits_per_token(logits, targets, pad_id)          = (Σ NLL / N) / ln 2
                                                     = log2(perplexity)
    bits_per_char(logits, targets, pad_id, n_chars)  = (Σ NLL / ln 2) / n_chars

Σ runs over the non-pad positions of all rows together: a token-weighted mean, not a
mean of per-sequence values. n_chars (int > 0) is the number of characters of the text
the targets encode. Each returns a 0-dim tensor in the logits' dtype, on their device.
Do not modify the inputs in place.

Numerics: logits may be around ±1e4, and a target's probability may be tiny (exp(-150),
which is 0 in float32) while its log-probability, -150, is an ordinary number. Take the
log-probabilities with log_softmax (or x - logsumexp(x)), never log(softmax(x)).

What is graded: equality with the reference; changing the logits at pad positions
changes nothing; uniform logits give perplexity V and log2(V) bits per token;
bits_per_token = log2(perplexity); finite, correct results for logits around 1e4.

Not allowed: torch.nn.functional.cross_entropy / nll_loss, torch.nn.CrossEntropyLoss /
NLLLoss. log_softmax, logsumexp, gather and masking are fine.

Example (B=1, T=3, V=4, pad_id=0):
    logits  = [[[0, 0, 0, 0], [0, ln 3, 0, 0], [5, 1, 2, 3]]]
    targets = [[2, 1, 0]]
    position 0: p(2) = 1/4 -> NLL ln 4
    position 1: p(1) = 3/6 -> NLL ln 2
    position 2: padding
    mean NLL = (ln 4 + ln 2) / 2 = 1.5 ln 2 ≈ 1.0397
    perplexity -> tensor(2.8284)  (2^1.5)
    bits_per_token -> tensor(1.5000)
    bits_per_char(..., n_chars=6) -> tensor(0.5000)  (3 bits over 6 characters)
"""
import torch


def perplexity(logits: torch.Tensor, targets: torch.Tensor, pad_id: int) -> torch.Tensor:
    raise NotImplementedError


def bits_per_token(logits: torch.Tensor, targets: torch.Tensor, pad_id: int) -> torch.Tensor:
    raise NotImplementedError


def bits_per_char(logits: torch.Tensor, targets: torch.Tensor, pad_id: int, n_chars: int) -> torch.Tensor:
    raise NotImplementedError
