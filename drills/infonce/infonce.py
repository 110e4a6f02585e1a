"""InfoNCE (in-batch negatives) and the CLIP loss.

Write `info_nce(queries, keys, temperature=0.07)`:

    queries  (N, D)   one embedding per row
    keys     (N, D)   keys[i] is the positive for queries[i]; the other N - 1 keys of the
                      batch are its negatives
    temperature       a positive Python float

The loss, in this order:
  1. L2-normalise every query and every key: each ROW to unit length, over the feature
     axis D (not over the batch axis N).
  2. sim = q_norm @ k_norm.T, the (N, N) matrix of cosine similarities;
     logits = sim / temperature (divide: a small temperature sharpens).
  3. Row i is an N-way classification whose correct class is column i (the diagonal):
         loss_i = -log softmax(logits[i])[i] = logsumexp_j(logits[i, j]) - logits[i, i]
  4. Return the MEAN of loss_i over the N rows (not the sum).

Write `clip_loss(image_emb, text_emb, temperature=0.07)`, CLIP's symmetric loss for N
matching (image, text) pairs (row i of each is pair i): the mean of both directions,

    ( info_nce(image_emb, text_emb, temperature)      # each image picks its text
    + info_nce(text_emb, image_emb, temperature) ) / 2  # each text picks its image

Both return a 0-dim tensor in the inputs' dtype (float32 or float64), on their device.
N and D are independent (N may be smaller or larger than D; N = 1 gives 0). Embeddings
are never all-zero rows. Do not modify the inputs in place.

Allowed: all of torch, including torch.nn.functional.normalize and
torch.nn.functional.cross_entropy (or write those steps by hand).

Example (temperature = 1):
    queries = [[1, 0], [0, 2]]      -> normalised [[1, 0], [0, 1]]
    keys    = [[3, 0], [1, 1]]      -> normalised [[1, 0], [0.7071, 0.7071]]
    sim     = [[1, 0.7071],
               [0, 0.7071]]
    loss_0 = log(e^1 + e^0.7071) - 1 ≈ 0.5574;  loss_1 = log(e^0 + e^0.7071) - 0.7071 ≈ 0.4008
    info_nce(queries, keys, 1.0) ≈ 0.4791       info_nce(keys, queries, 1.0) ≈ 0.5032
    clip_loss(queries, keys, 1.0) ≈ (0.4791 + 0.5032) / 2 ≈ 0.4912
"""
import torch


def info_nce(queries: torch.Tensor, keys: torch.Tensor, temperature: float = 0.07) -> torch.Tensor:
    raise NotImplementedError


def clip_loss(image_emb: torch.Tensor, text_emb: torch.Tensor, temperature: float = 0.07) -> torch.Tensor:
    raise NotImplementedError
