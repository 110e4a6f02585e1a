"""Correct, differently written: F.cosine_similarity by broadcasting, computed in float32
at least (the LLaMA-style `.float()` upcast), log_softmax + gather, cast back at the end."""
import torch
import torch.nn.functional as F


def info_nce(queries, keys, temperature=0.07):
    work = torch.promote_types(queries.dtype, torch.float32)
    q, k = queries.to(work), keys.to(work)
    sim = F.cosine_similarity(q[:, None, :], k[None, :, :], dim=-1)   # (N, N)
    logp = F.log_softmax(sim / temperature, dim=-1)
    idx = torch.arange(q.size(0), device=q.device)
    return (-logp[idx, idx]).mean().to(queries.dtype)


def clip_loss(image_emb, text_emb, temperature=0.07):
    i2t = info_nce(image_emb, text_emb, temperature=temperature)
    t2i = info_nce(text_emb, image_emb, temperature=temperature)
    return torch.stack([i2t, t2i]).mean()
