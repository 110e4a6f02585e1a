"""Classic wrong answers to the InfoNCE / CLIP drill; each must fail the spec.

A mistake inside info_nce usually shows in clip_loss too (it is built from info_nce), so
those mistakes override both entry points with the same id.
"""
import torch
import torch.nn.functional as F

from grader.props import mistake


def _ce_diagonal(logits):
    return F.cross_entropy(logits, torch.arange(logits.shape[0], device=logits.device))


def _both_ways(loss_fn):
    def clip_loss(image_emb, text_emb, temperature=0.07):
        return (loss_fn(image_emb, text_emb, temperature) + loss_fn(text_emb, image_emb, temperature)) / 2
    return clip_loss


# -- no normalisation -----------------------------------------------------------------
def _no_norm(queries, keys, temperature=0.07):
    return _ce_diagonal(queries @ keys.T / temperature)


mistake("no_normalisation", "embeddings are not L2-normalised (dot products instead of cosines)",
        entry="info_nce",
        explain="Without normalising each row, the logits grow with the embeddings' norms: the loss "
                "changes when an embedding is rescaled, and the temperature no longer sets the scale.")(_no_norm)
mistake("no_normalisation", "", entry="clip_loss")(_both_ways(_no_norm))


# -- normalised over the batch axis ----------------------------------------------------
def _norm_batch_axis(queries, keys, temperature=0.07):
    q, k = F.normalize(queries, dim=0), F.normalize(keys, dim=0)
    return _ce_diagonal(q @ k.T / temperature)


mistake("normalise_batch_axis", "normalised over the batch axis (dim=0) instead of each row's features",
        entry="info_nce",
        explain="F.normalize(x, dim=0) makes each feature column unit length across the batch; "
                "each embedding (row) must be unit length: dim=-1.")(_norm_batch_axis)
mistake("normalise_batch_axis", "", entry="clip_loss")(_both_ways(_norm_batch_axis))


# -- temperature multiplied ------------------------------------------------------------
def _temp_times(queries, keys, temperature=0.07):
    q, k = F.normalize(queries, dim=-1), F.normalize(keys, dim=-1)
    return _ce_diagonal(q @ k.T * temperature)


mistake("temperature_multiplied", "similarities multiplied by the temperature instead of divided",
        entry="info_nce",
        explain="logits = sim / τ. With τ = 0.07, multiplying squeezes every logit into [-0.07, 0.07] "
                "and the loss sits near log N whatever the embeddings.")(_temp_times)
mistake("temperature_multiplied", "", entry="clip_loss")(_both_ways(_temp_times))


# -- temperature ignored ---------------------------------------------------------------
def _temp_ignored(queries, keys, temperature=0.07):
    q, k = F.normalize(queries, dim=-1), F.normalize(keys, dim=-1)
    return _ce_diagonal(q @ k.T)


mistake("temperature_ignored", "the temperature is never applied (logits are the raw cosines)",
        entry="info_nce",
        explain="Cosines lie in [-1, 1]; without dividing by τ the softmax can never be confident.")(_temp_ignored)
mistake("temperature_ignored", "", entry="clip_loss")(_both_ways(_temp_ignored))


# -- sum instead of mean -----------------------------------------------------------------
def _sum(queries, keys, temperature=0.07):
    q, k = F.normalize(queries, dim=-1), F.normalize(keys, dim=-1)
    logits = q @ k.T / temperature
    return F.cross_entropy(logits, torch.arange(q.shape[0], device=q.device), reduction="sum")


mistake("sum_not_mean", "the per-row losses are summed instead of averaged", entry="info_nce",
        explain="The loss is the mean over the N rows; a sum grows with the batch size "
                "(identical embeddings then give N·log N instead of log N).")(_sum)
mistake("sum_not_mean", "", entry="clip_loss")(_both_ways(_sum))


# -- targets not on the diagonal ---------------------------------------------------------
def _zeros(queries, keys, temperature=0.07):
    q, k = F.normalize(queries, dim=-1), F.normalize(keys, dim=-1)
    logits = q @ k.T / temperature
    return F.cross_entropy(logits, torch.zeros(q.shape[0], dtype=torch.long, device=q.device))


mistake("targets_zeros", "targets are all zeros instead of 0..N-1 (the positive is not on the diagonal)",
        entry="info_nce",
        explain="Row i's positive is key i, so the targets are torch.arange(N). Zeros make key 0 "
                "the 'positive' of every query.")(_zeros)
mistake("targets_zeros", "", entry="clip_loss")(_both_ways(_zeros))


# -- softmax over the queries ------------------------------------------------------------
def _transposed(queries, keys, temperature=0.07):
    q, k = F.normalize(queries, dim=-1), F.normalize(keys, dim=-1)
    return _ce_diagonal((q @ k.T / temperature).T)


mistake("softmax_over_queries", "info_nce classifies each key among the queries (logits transposed)",
        entry="info_nce",
        explain="In info_nce(queries, keys) each query picks its key: the softmax runs over the keys, "
                "i.e. over the columns of q @ k.T (cross_entropy over rows of q @ k.T, not of k @ q.T).")(_transposed)


# -- CLIP: only one direction, or the sum of both -------------------------------------------
def _info_nce(queries, keys, temperature=0.07):
    q, k = F.normalize(queries, dim=-1), F.normalize(keys, dim=-1)
    return _ce_diagonal(q @ k.T / temperature)


@mistake("clip_one_direction", "clip_loss uses only the image->text direction", entry="clip_loss",
         explain="CLIP's loss is symmetric: the mean of image->text (rows of the logits) and "
                 "text->image (columns, i.e. the transposed logits).")
def one_direction(image_emb, text_emb, temperature=0.07):
    return _info_nce(image_emb, text_emb, temperature)


@mistake("clip_sum_of_directions", "clip_loss adds the two directions instead of averaging them",
         entry="clip_loss",
         explain="(image->text + text->image) / 2: without the 1/2 the loss is twice CLIP's.")
def sum_of_directions(image_emb, text_emb, temperature=0.07):
    return _info_nce(image_emb, text_emb, temperature) + _info_nce(text_emb, image_emb, temperature)
