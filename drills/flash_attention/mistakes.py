"""Classic wrong answers to the flash_attention drill; each must fail the spec.

`_flash` is the reference with one knob per mistake.
"""
import math

import torch

from grader.props import mistake

NEG_INF = float("-inf")


def _flash(q, k, v, block_q=16, block_k=16, causal=False, *, rescale_l=True, rescale_acc=True,
           last_k_block=True, last_q_block=True, top_left=False, divide=True, guard_empty=True,
           subtract_max=True):
    Lq, D = q.shape[-2], q.shape[-1]
    Lk = k.shape[-2]
    offset = 0 if top_left else Lk - Lq
    work = torch.promote_types(q.dtype, torch.float32)
    out = torch.zeros((*q.shape[:-1], v.shape[-1]), dtype=q.dtype, device=q.device)
    q_stop = Lq if last_q_block else Lq - block_q + 1
    for qs in range(0, max(q_stop, 0), block_q):
        qe = min(qs + block_q, Lq)
        qb = q[..., qs:qe, :].to(work) / math.sqrt(D)
        m = torch.full((*qb.shape[:-1], 1), NEG_INF, dtype=work, device=q.device)
        l = torch.zeros_like(m)
        acc = torch.zeros((*qb.shape[:-1], v.shape[-1]), dtype=work, device=q.device)
        k_end = min(Lk, max(0, qe + offset)) if causal else Lk
        k_stop = k_end if last_k_block else k_end - block_k + 1
        for ks in range(0, max(k_stop, 0), block_k):
            ke = min(ks + block_k, Lk)
            s = qb @ k[..., ks:ke, :].to(work).transpose(-2, -1)
            if causal:
                i = torch.arange(qs, qe, device=q.device)[:, None]
                j = torch.arange(ks, ke, device=q.device)[None, :]
                s = s.masked_fill(j > i + offset, NEG_INF)
            if not subtract_max:
                p = torch.exp(s)
                l = l + p.sum(-1, keepdim=True)
                acc = acc + p @ v[..., ks:ke, :].to(work)
                continue
            m_new = torch.maximum(m, s.amax(-1, keepdim=True))
            m_ref = torch.where(m_new == NEG_INF, torch.zeros_like(m_new), m_new) if guard_empty else m_new
            p = torch.exp(s - m_ref)
            alpha = torch.exp(m - m_ref)
            l = (l * alpha if rescale_l else l) + p.sum(-1, keepdim=True)
            acc = (acc * alpha if rescale_acc else acc) + p @ v[..., ks:ke, :].to(work)
            m = m_new
        if divide:
            res = acc / (torch.where(l > 0, l, torch.ones_like(l)) if guard_empty else l)
        else:
            res = acc
        out[..., qs:qe, :] = res.to(q.dtype)
    return out


@mistake("running_sum_not_rescaled", "the running sum l is not rescaled when the running max changes",
         explain="l = l + Σ exp(s - m_new) adds terms measured against the new max to terms measured against "
                 "the old one. Multiply the old l by exp(m_old - m_new) first, exactly as the accumulator.")
def flash_attention(q, k, v, block_q=16, block_k=16, causal=False):
    return _flash(q, k, v, block_q, block_k, causal, rescale_l=False)


@mistake("accumulator_not_rescaled", "the accumulator acc is not rescaled when the running max changes",
         entry="flash_attention",
         explain="acc holds Σ exp(s_j - m_old)·v_j; once the max becomes m_new every old term must shrink by "
                 "exp(m_old - m_new): acc = acc * exp(m_old - m_new) + p @ v_block.")
def accumulator_not_rescaled(q, k, v, block_q=16, block_k=16, causal=False):
    return _flash(q, k, v, block_q, block_k, causal, rescale_acc=False)


@mistake("last_key_block_dropped", "the last, partial key block is skipped (Lk // block_k blocks)",
         entry="flash_attention",
         explain="When block_k does not divide Lk the last key block is shorter, and it still holds keys: "
                 "iterate range(0, Lk, block_k) and slice k[..., ks:min(ks + block_k, Lk)].")
def last_key_block_dropped(q, k, v, block_q=16, block_k=16, causal=False):
    return _flash(q, k, v, block_q, block_k, causal, last_k_block=False)


@mistake("last_query_block_dropped", "the last, partial query block is skipped (its rows stay zero)",
         entry="flash_attention",
         explain="When block_q does not divide Lq the last query block is shorter; iterate "
                 "range(0, Lq, block_q) so that every query row gets an output.")
def last_query_block_dropped(q, k, v, block_q=16, block_k=16, causal=False):
    return _flash(q, k, v, block_q, block_k, causal, last_q_block=False)


@mistake("causal_top_left", "causal mask aligned top-left (j <= i) instead of to the last Lq positions",
         entry="flash_attention",
         explain="The queries are the last Lq of the Lk positions: query i sits at position i + (Lk - Lq) and "
                 "may see keys j <= i + (Lk - Lq). j <= i is right only when Lq == Lk.")
def causal_top_left(q, k, v, block_q=16, block_k=16, causal=False):
    return _flash(q, k, v, block_q, block_k, causal, top_left=True)


@mistake("no_final_division", "the output is acc, never divided by the running sum l",
         entry="flash_attention",
         explain="acc is an unnormalised sum Σ exp(s_j - m)·v_j; the softmax denominator is l, applied once "
                 "at the end: output = acc / l.")
def no_final_division(q, k, v, block_q=16, block_k=16, causal=False):
    return _flash(q, k, v, block_q, block_k, causal, divide=False)


@mistake("nan_on_empty_rows", "a causal row with no allowed key gives NaN (exp(-inf - (-inf)), 0/0) instead of zeros",
         entry="flash_attention",
         explain="With Lq > Lk the first Lq - Lk queries see no key: m stays -inf, exp(s - m) is NaN and l is 0. "
                 "Measure from 0 where m is still -inf, and divide by l only where l > 0.")
def nan_on_empty_rows(q, k, v, block_q=16, block_k=16, causal=False):
    return _flash(q, k, v, block_q, block_k, causal, guard_empty=False)


@mistake("no_running_max", "exp() of the raw scores, without subtracting the running max",
         entry="flash_attention",
         explain="Mathematically the max cancels, but exp(800) overflows float64 (exp(89) float32) and "
                 "exp(-800) underflows to 0, giving inf/inf or 0/0. The running max is what makes the "
                 "online softmax safe.")
def no_running_max(q, k, v, block_q=16, block_k=16, causal=False):
    return _flash(q, k, v, block_q, block_k, causal, subtract_max=False)
