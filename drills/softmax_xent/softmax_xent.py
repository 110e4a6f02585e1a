"""Softmax, log-softmax and cross-entropy, numerically stable.

Write three functions.

softmax(x, dim=-1) and log_softmax(x, dim=-1)
    softmax(x)_i = exp(x_i) / Σ_j exp(x_j)      log_softmax(x)_i = x_i - log Σ_j exp(x_j)
    The sum runs along axis `dim`, which may be any axis of x, given as a negative or a
    positive index (x has at least one dim). Each returns a tensor of x's shape and dtype,
    on x's device.

cross_entropy(logits, targets, ignore_index=-100, label_smoothing=0.0)
    logits   (N, C) or (N, C, d1, ..., dk): the classes are on dim 1, as in torch
             (e.g. (batch, vocab, seq) for a language model); finite values.
    targets  (N,) or (N, d1, ..., dk), int64 class indices in [0, C), except where a
             target equals ignore_index.
    Per target: -log_softmax(logits, dim=1)[target]. Returns the MEAN over the targets that
    are not ignored, as a 0-dim tensor in the logits' dtype, on their device.
    - ignore_index may be any int, also a valid class (e.g. 0 for padding): every target
      equal to it is left out of both the sum and the count.
    - Every target ignored: the mean of nothing is 0 / 0 = NaN. Return NaN, as torch does.
    - label_smoothing ε in [0, 1], as in torch: the target distribution is
      (1 - ε)·onehot(target) + ε/C on every class (the true class included), so a kept
      target's loss is (1 - ε)·(-log p_target) + ε·mean over all C classes of (-log p_c).
      Ignored targets contribute nothing, smoothed or not.
    Not required: class weights, other reductions, probability (soft) targets, (C,) logits.

Numerics (each is checked):
  - Logits around ±1e4 (say 10003.2, 10001.7, 9998.5) must give finite, correct results:
    exp(1e4) overflows every float dtype to inf and exp(-1e4) underflows to 0 (then 0/0),
    so shift by the max along `dim` first (softmax is unchanged by a shift).
  - log_softmax must stay finite far below the max: for logits [0, -200] it is [0, -200],
    while log(softmax(x)) gives [0, -inf] because exp(-200) underflows float32 to 0.
  - A logit of -inf is allowed in softmax/log_softmax (a masked entry): its probability is
    exactly 0 and its log-probability -inf. Every slice along `dim` has at least one finite
    logit.
  - float16/bfloat16 inputs: return that dtype; compute in float32 inside (the grader
    compares with a float32 computation at half-precision tolerance).
  - Gradients must flow: cross_entropy's gradient with respect to the logits is checked.
  - Do not modify the inputs in place.

Not allowed (write them yourself): torch.softmax, torch.log_softmax, torch.logsumexp and
their Tensor methods (x.softmax, x.log_softmax, x.logsumexp), torch.nn.functional.softmax /
log_softmax / softmin / cross_entropy / nll_loss, torch.special.softmax / log_softmax /
logsumexp, torch.nn.Softmax / LogSoftmax / CrossEntropyLoss / NLLLoss, and
scaled_dot_product_attention (it hides a softmax). exp, log, amax / max, sum, mean, gather,
where and indexing are all fine; your own helper functions may have any name.

Example:
    x = torch.tensor([[2.0, 1.0, 0.1]])
    softmax(x)       -> [[0.6590, 0.2424, 0.0986]]
    log_softmax(x)   -> [[-0.4170, -1.4170, -2.3170]]
    cross_entropy(x, torch.tensor([0]))                        -> tensor(0.4170)
    cross_entropy(x, torch.tensor([0]), label_smoothing=0.1)   -> 0.9·0.4170 + 0.1·(0.4170 + 1.4170 + 2.3170)/3 ≈ tensor(0.5137)
    logits = torch.tensor([[2.0, 1.0, 0.1], [0.0, 0.0, 0.0]])
    cross_entropy(logits, torch.tensor([0, -100]))             -> tensor(0.4170)   (the mean over 1 kept target)
    cross_entropy(logits, torch.tensor([-100, -100]))          -> tensor(nan)
"""
import torch


def softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    raise NotImplementedError


def log_softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    raise NotImplementedError


def cross_entropy(logits: torch.Tensor, targets: torch.Tensor, ignore_index: int = -100,
                  label_smoothing: float = 0.0) -> torch.Tensor:
    raise NotImplementedError
