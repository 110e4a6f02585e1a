"""Reference: FlashAttention's forward pass, exact attention one tile at a time.

The queries are taken `block_q` rows at a time; for each query block the keys and values
are visited `block_k` rows at a time, and each query row keeps an online softmax: its
running max m, the running sum l of exp(score - m), and the running weighted sum acc of
the values. Only a (block_q, block_k) tile of scores ever exists; the (Lq, Lk) matrix
is never formed.

Left out on purpose: the backward pass (FlashAttention saves m + log l per row and
recomputes the tiles), dropout, an arbitrary boolean mask, SRAM tiling and the
parallel schedule of a real kernel, and split-K merging for decoding (flash-decoding).
"""
import math

import torch


def flash_attention(q, k, v, block_q=16, block_k=16, causal=False):
    # q (..., Lq, D), k (..., Lk, D), v (..., Lk, Dv)
    Lq, D = q.shape[-2], q.shape[-1]
    Lk = k.shape[-2]
    offset = Lk - Lq  # causal: query i sits at position i + offset, sees keys j <= i + offset
    # m, l, acc and the scores in float32 at least: fp16 sums of exp() lose digits fast
    work = torch.promote_types(q.dtype, torch.float32)
    scale = 1.0 / math.sqrt(D)
    out_blocks = []
    for qs in range(0, Lq, block_q):
        qe = min(qs + block_q, Lq)  # subtle: the last block may be shorter
        qb = q[..., qs:qe, :].to(work) * scale                        # (..., bq, D)
        m = torch.full((*qb.shape[:-1], 1), float("-inf"), dtype=work, device=q.device)  # (..., bq, 1)
        l = torch.zeros_like(m)                                       # (..., bq, 1)
        acc = torch.zeros((*qb.shape[:-1], v.shape[-1]), dtype=work, device=q.device)  # (..., bq, Dv)
        # causal: keys after the last query's position are masked for the whole block: skip them
        k_end = min(Lk, max(0, qe + offset)) if causal else Lk
        for ks in range(0, k_end, block_k):
            ke = min(ks + block_k, Lk)
            s = qb @ k[..., ks:ke, :].to(work).transpose(-2, -1)      # (..., bq, bk) one tile
            if causal:
                i = torch.arange(qs, qe, device=q.device)[:, None]
                j = torch.arange(ks, ke, device=q.device)[None, :]
                s = s.masked_fill(j > i + offset, float("-inf"))
            m_new = torch.maximum(m, s.amax(dim=-1, keepdim=True))   # (..., bq, 1)
            # subtle: a row that has seen no allowed key yet has m_new = -inf, and
            # exp(-inf - (-inf)) is NaN; measure from 0 there (everything is exp(-inf) = 0)
            m_ref = torch.where(m_new == float("-inf"), torch.zeros_like(m_new), m_new)
            p = torch.exp(s - m_ref)                                  # (..., bq, bk), masked -> 0
            alpha = torch.exp(m - m_ref)                              # rescales what was summed against m
            l = l * alpha + p.sum(dim=-1, keepdim=True)
            acc = acc * alpha + p @ v[..., ks:ke, :].to(work)         # (..., bq, Dv)
            m = m_new
        # subtle: a causal row with no allowed key has l = 0 and acc = 0: return 0, not 0/0
        out_blocks.append((acc / torch.where(l > 0, l, torch.ones_like(l))).to(q.dtype))
    return torch.cat(out_blocks, dim=-2)                              # (..., Lq, Dv)
