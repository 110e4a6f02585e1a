"""Correct, differently written: normalise by hand, einsum, log-softmax by hand, one logit
matrix for both CLIP directions (rows, then columns)."""
import torch


def _logits(a, b, temperature):
    a = a / a.pow(2).sum(dim=1, keepdim=True).sqrt()
    b = b / b.pow(2).sum(dim=1, keepdim=True).sqrt()
    return torch.einsum("id,jd->ij", a, b) / temperature


def _diag_ce(logits):
    # -log softmax(row)[i] = logsumexp(row) - row[i]
    m = logits.amax(dim=1, keepdim=True)
    lse = m.squeeze(1) + torch.log(torch.exp(logits - m).sum(dim=1))
    return (lse - torch.diagonal(logits)).mean()


def info_nce(queries, keys, temperature=0.07):
    return _diag_ce(_logits(queries, keys, temperature))


def clip_loss(image_emb, text_emb, temperature=0.07):
    logits = _logits(image_emb, text_emb, temperature)
    return 0.5 * (_diag_ce(logits) + _diag_ce(logits.t()))
