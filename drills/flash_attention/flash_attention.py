"""FlashAttention's forward pass: exact attention, one tile at a time.

Write `flash_attention(q, k, v, block_q=16, block_k=16, causal=False)`. It returns the same
numbers as plain attention, softmax(q kᵀ / √D) v, but computes them tile by tile: queries in
blocks of `block_q` rows, keys and values in blocks of `block_k` rows, so that only a
(block_q, block_k) tile of scores exists at any time. Do not form the whole (Lq, Lk) score
matrix, not even one row block of it across all keys.

Shapes (any number of leading batch/head dims `...`, the same for q, k and v; no broadcasting):
    q  (..., Lq, D)     queries
    k  (..., Lk, D)     keys       (Lk may differ from Lq)
    v  (..., Lk, Dv)    values     (Dv may differ from D)
Returns (..., Lq, Dv), in q's dtype, on q's device. The scale is 1/√D, D = q.shape[-1].

The online softmax. For one block of queries, keep for every query row
    m    the largest score seen so far                          (starts at -inf)
    l    the sum of exp(s_j - m) over the keys seen so far        (starts at 0)
    acc  the sum of exp(s_j - m) · v_j over those keys, (Dv,)     (starts at 0)
and for each block of keys, with s the row's scores on that block:
    m_new = max(m, max_j s_j)
    l     = l   · exp(m - m_new) + Σ_j exp(s_j - m_new)
    acc   = acc · exp(m - m_new) + Σ_j exp(s_j - m_new) · v_j
    m     = m_new
After the last key block the row's output is acc / l. When the running max grows, what was
summed so far was measured against the old max: BOTH l and acc must be rescaled.

Blocks: any block_q >= 1 and block_k >= 1. They need not divide Lq or Lk (the last block is
then shorter), and a block larger than the length is simply one block.

Causal (causal=True): the queries are the LAST Lq of the Lk positions, as when new tokens
attend over a KV cache: query i may attend to key j iff j <= i + (Lk - Lq). With Lq == Lk
this is the usual j <= i. When Lq > Lk, the first Lq - Lk queries may attend to no key:
their output rows are zeros, not NaN. (Careful: a row that has seen only masked keys still
has m = -inf, and exp(-inf - (-inf)) is NaN.) You may skip key blocks that are masked for
the whole query block, as FlashAttention does; you need not.

Precision: keep the scores, m, l and acc in float32 for float16, bfloat16 and float32
inputs, and in float64 for float64 inputs (torch.promote_types(q.dtype, torch.float32));
cast the output to q's dtype at the end. Subtract the running max before exp(): the grader
uses scores in the thousands (float64), where exp() of a raw score overflows.

Allowed: anything in torch, including torch.softmax and torch.logsumexp on a tile (merging
per-tile softmax results through their logsumexp is a correct way to do it too).
Not allowed: torch.nn.functional.scaled_dot_product_attention (and the aten attention
kernels behind it), torch.nn.MultiheadAttention. Do not modify the inputs in place.

What is checked: equality with plain attention for random shapes, block sizes (1, sizes that
do not divide the lengths, sizes larger than them) and causal or not; that the block sizes
do not change the result; the causal alignment and the zero rows; float16/bfloat16 within
tolerance; rows of up to 40 keys in blocks of 1 to 4; scores in the thousands; and, with
V = identity, rows of weights that are >= 0 and sum to 1. NOT checked: memory and speed. The
grader sees only your outputs, so it cannot tell whether you formed the full score matrix;
doing so defeats the point of the exercise (and an interviewer will look).

Example (Lq = 1, Lk = 3, D = 2, Dv = 1, block_k = 2, so the key blocks are [0, 1] and [2]):
    q = torch.tensor([[1.0, 0.0]])
    k = torch.tensor([[1.0, 0.0], [0.0, 1.0], [2.0, 0.0]])
    v = torch.tensor([[1.0], [2.0], [3.0]])
    block 1: s = [0.7071, 0]    m = 0.7071   l = 1 + 0.4931 = 1.4931
                                             acc = 1·1 + 0.4931·2 = 1.9861
    block 2: s = [1.4142]       m_new = 1.4142, rescale by exp(0.7071 - 1.4142) = 0.4931:
                                l = 1.4931·0.4931 + 1 = 1.7362
                                acc = 1.9861·0.4931 + 1·3 = 3.9793
    flash_attention(q, k, v, block_k=2)   ->  tensor([[2.2920]])   (3.9793 / 1.7362)
    (forgetting to rescale l gives 3.9793 / 2.4931 = 1.5961)
"""
import torch


def flash_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, block_q: int = 16,
                    block_k: int = 16, causal: bool = False) -> torch.Tensor:
    raise NotImplementedError
