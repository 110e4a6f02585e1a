"""Scaled dot-product attention.

Write `scaled_dot_product_attention(q, k, v, mask=None)`:

    Attention(Q, K, V) = softmax(Q Kᵀ / √D) V

Shapes (any number of leading batch/head dims `...`, the same for q, k and v):
    q     (..., Lq, D)    queries
    k     (..., Lk, D)    keys       (Lk may differ from Lq: cross-attention, cached decoding)
    v     (..., Lk, Dv)   values     (Dv may differ from D)
    mask  bool, broadcastable to (..., Lq, Lk), or None.
          True = this query MAY attend to this key (torch's SDPA convention).
Returns (..., Lq, Dv), in the dtype of q, on q's device.

A query row whose mask allows no key at all (a fully padded row) returns zeros,
not NaN.

Do not modify the inputs in place. Not allowed: torch.nn.functional.scaled_dot_product_attention,
torch.nn.MultiheadAttention (write it with matmul / einsum, softmax, masked_fill...).
For float16/bfloat16 inputs, compute the softmax in float32 and cast back.

Example:
    q = torch.tensor([[1.0, 0.0]])           # Lq=1, D=2
    k = torch.tensor([[1.0, 0.0], [0.0, 1.0]])  # Lk=2
    v = torch.tensor([[10.0], [20.0]])       # Dv=1
    scores = [1/√2, 0]  -> weights ≈ [0.670, 0.330] -> output ≈ [[13.30]]
"""
import torch


def scaled_dot_product_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                                 mask: torch.Tensor | None = None) -> torch.Tensor:
    raise NotImplementedError
