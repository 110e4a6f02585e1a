"""Correct, differently written: each tile is a plain softmax (torch.softmax, torch.logsumexp),
and tiles are merged through their logsumexp, as split-K / flash-decoding kernels do."""
import torch


def flash_attention(q, k, v, block_q=16, block_k=16, causal=False):
    work = torch.promote_types(q.dtype, torch.float32)
    Lq, Lk = q.shape[-2], k.shape[-2]
    scale = q.shape[-1] ** -0.5
    pieces = []
    for qs in range(0, Lq, block_q):
        qb = q[..., qs:qs + block_q, :].to(work)
        n = qb.shape[-2]
        lse = torch.full((*qb.shape[:-1], 1), float("-inf"), dtype=work, device=q.device)
        out = torch.zeros((*qb.shape[:-1], v.shape[-1]), dtype=work, device=q.device)
        for ks in range(0, Lk, block_k):
            kb, vb = k[..., ks:ks + block_k, :].to(work), v[..., ks:ks + block_k, :].to(work)
            s = torch.einsum("...qd,...kd->...qk", qb, kb) * scale
            if causal:
                pos_q = torch.arange(qs, qs + n, device=q.device) + (Lk - Lq)
                pos_k = torch.arange(ks, ks + kb.shape[-2], device=q.device)
                s = s.masked_fill(pos_k[None, :] > pos_q[:, None], float("-inf"))
            lse_b = torch.logsumexp(s, dim=-1, keepdim=True)                 # -inf: no key in this tile
            o_b = torch.softmax(s, dim=-1).nan_to_num(0.0) @ vb              # tile's own normalised output
            new = torch.logaddexp(lse, lse_b)
            safe = torch.where(torch.isinf(new), torch.zeros_like(new), new)
            out = out * torch.exp(lse - safe) + o_b * torch.exp(lse_b - safe)
            lse = new
        pieces.append(out.to(q.dtype))
    return torch.cat(pieces, dim=-2)
