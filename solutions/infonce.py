"""Reference: InfoNCE with in-batch negatives, and CLIP's symmetric version of it.

Left out on purpose: a learnable temperature (CLIP learns log(1/τ) and clamps it),
gathering negatives across devices (all_gather), a memory bank or MoCo queue of extra
negatives, and label smoothing. The batch is the whole set of negatives here.
"""
import torch.nn.functional as F


def info_nce(queries, keys, temperature=0.07):
    # queries (N, D), keys (N, D); keys[i] is the positive for queries[i]
    q = F.normalize(queries, dim=-1)  # (N, D): each row unit length (over features, not the batch)
    k = F.normalize(keys, dim=-1)     # (N, D)
    logits = q @ k.T / temperature    # (N, N): row i scores query i against every key
    # row i is an N-way classification whose answer is column i (the diagonal):
    # -log softmax(logits[i])[i]. Same as F.cross_entropy(logits, torch.arange(N)).
    # subtle: the targets are 0..N-1, not zeros; and the softmax runs over keys (dim=-1)
    log_probs = logits.log_softmax(dim=-1)   # (N, N)
    return -log_probs.diagonal().mean()      # 0-dim, mean over the N rows, input dtype


def clip_loss(image_emb, text_emb, temperature=0.07):
    # image_emb (N, D), text_emb (N, D); pair i is (image i, text i)
    # image->text: each image picks its text among N; text->image: each text picks its image.
    # The second is the first's logits transposed; calling info_nce twice says it plainly.
    return (info_nce(image_emb, text_emb, temperature) + info_nce(text_emb, image_emb, temperature)) / 2
