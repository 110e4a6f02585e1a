"""Correct, differently written: FlashAttention-1's loop order (keys outside, queries inside),
the state of every query row kept in whole (..., Lq, .) tensors, and a finite running max
(finfo.min) instead of -inf, so no NaN guard is needed until the final division."""
import math

import torch


def flash_attention(q, k, v, block_q=16, block_k=16, causal=False):
    work = torch.promote_types(q.dtype, torch.float32)
    Lq, Lk = q.shape[-2], k.shape[-2]
    lowest = torch.finfo(work).min
    m = torch.full((*q.shape[:-1], 1), lowest, dtype=work, device=q.device)
    l = torch.zeros_like(m)
    acc = torch.zeros((*q.shape[:-1], v.shape[-1]), dtype=work, device=q.device)
    qs_all = q.to(work) / math.sqrt(q.shape[-1])
    for ks in range(0, Lk, block_k):
        ke = min(Lk, ks + block_k)
        kb, vb = k[..., ks:ke, :].to(work), v[..., ks:ke, :].to(work)
        ms, ls, accs = [], [], []
        for qs in range(0, Lq, block_q):
            qe = min(Lq, qs + block_q)
            s = torch.matmul(qs_all[..., qs:qe, :], kb.transpose(-1, -2))
            if causal:
                hidden = (torch.arange(ks, ke, device=q.device)[None, :]
                          - torch.arange(qs, qe, device=q.device)[:, None]) > Lk - Lq
                s = torch.where(hidden, torch.full_like(s, float("-inf")), s)
            m_old = m[..., qs:qe, :]
            m_new = torch.maximum(m_old, s.max(dim=-1, keepdim=True).values)
            p = (s - m_new).exp()
            a = (m_old - m_new).exp()
            ms.append(m_new)
            ls.append(a * l[..., qs:qe, :] + p.sum(-1, keepdim=True))
            accs.append(a * acc[..., qs:qe, :] + torch.matmul(p, vb))
        m, l, acc = torch.cat(ms, -2), torch.cat(ls, -2), torch.cat(accs, -2)
    out = torch.where(l > 0, acc / l.clamp_min(torch.finfo(work).tiny), torch.zeros_like(acc))
    return out.to(q.dtype)
