"""Correct, differently written: beams as tensors, candidates scored with broadcasting and chosen
with torch.topk over the flattened (beam, token) grid; finished hypotheses in a dict."""
import torch


def beam_search(log_probs, bos_id, eos_id, beam_size, max_len, length_penalty=1.0):
    lp = log_probs.double()
    V = lp.shape[-1]
    seqs = torch.empty(1, 0, dtype=torch.long, device=lp.device)   # (beams, t)
    scores = torch.zeros(1, dtype=torch.float64, device=lp.device)  # (beams,)
    done = {}
    for _ in range(max_len):
        slots = beam_size - len(done)
        if slots == 0 or seqs.shape[0] == 0:
            break
        last = seqs[:, -1] if seqs.shape[1] else torch.full((seqs.shape[0],), bos_id, device=lp.device)
        cand = (scores[:, None] + lp[last]).flatten()                   # (beams * V,)
        top = torch.topk(cand, min(slots, cand.numel()))
        beam_idx, tok = top.indices // V, top.indices % V
        new_seqs = torch.cat([seqs[beam_idx], tok[:, None]], dim=1)
        is_eos = tok == eos_id
        for s, sc in zip(new_seqs[is_eos].tolist(), top.values[is_eos].tolist()):
            done[tuple(s)] = sc
        seqs, scores = new_seqs[~is_eos], top.values[~is_eos]
    pool = done if done else {tuple(s): sc for s, sc in zip(seqs.tolist(), scores.tolist())}
    normed = {s: sc / (len(s) ** length_penalty) for s, sc in pool.items()}
    best = max(normed, key=normed.get)
    return list(best), float(normed[best])
