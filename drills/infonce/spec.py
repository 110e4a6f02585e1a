"""Properties of info_nce and clip_loss.

N (the batch) and D (the features) are drawn separately and differ, so normalising over
the wrong axis or transposing the similarity matrix cannot hide behind a square shape.
Values are random normal, so (for N >= 2) the similarity matrix is not symmetric and the
two directions of clip_loss differ; temperatures are drawn, never only the default.
"""
import math

from hypothesis import strategies as st

from grader.props import prop
from grader.strategies import dims

TEMPERATURES = st.one_of(st.sampled_from([0.07, 0.1, 0.5, 2.0]), st.floats(0.03, 3.0))


def draw_pairs(t, min_n=1):
    """queries/keys (or images/texts) of shape (N, D), N != D."""
    d = t.draw(dims("N", "D", high=7, N=(min_n, 7)), "sizes")
    q = t.tensor((d["N"], d["D"]), label="queries")
    k = t.tensor((d["N"], d["D"]), label="keys")
    return q, k, d


def draw_temperature(t):
    """(extra args, extra kwargs, τ, how): a drawn τ passed positionally or by keyword, or the default."""
    how = t.draw(st.sampled_from(["positional", "keyword", "default"]), "how the temperature is passed")
    if how == "default":
        return (), {}, 0.07, "not passed, so 0.07"
    tau = t.draw(TEMPERATURES, "temperature")
    return ((tau,), {}, tau, "positional") if how == "positional" else ((), {"temperature": tau}, tau, "keyword")


def _fmt(factors) -> str:
    return "[" + ", ".join(f"{x:.3g}" for x in factors.flatten().tolist()) + "]"


@prop("info_nce equals the reference (random N != D, drawn temperatures)", dtypes=("float32", "float64"),
      weight=1.5)
def info_nce_matches_reference(t):
    q, k, _ = draw_pairs(t)
    tau = t.draw(TEMPERATURES, "temperature")
    got = t.impl.info_nce(q, k, tau)
    want = t.ref.info_nce(q, k, tau)
    t.assert_close(got, want, what=f"info_nce(queries, keys, temperature={tau:.4g})")


@prop("clip_loss equals the reference: the mean of the image->text and text->image losses",
      dtypes=("float32", "float64"))
def clip_loss_matches_reference(t):
    a, b, _ = draw_pairs(t, min_n=2)
    tau = t.draw(TEMPERATURES, "temperature")
    got = t.impl.clip_loss(a, b, tau)
    want = t.ref.clip_loss(a, b, tau)
    t.assert_close(got, want, what=f"clip_loss(image_emb, text_emb, temperature={tau:.4g})")


@prop("the temperature divides the similarities (positional, keyword, and 0.07 by default)", weight=0.75)
def temperature_is_honoured(t):
    q, k, _ = draw_pairs(t, min_n=2)
    name = t.draw(st.sampled_from(["info_nce", "clip_loss"]), "function")
    args, kwargs, tau, how = draw_temperature(t)
    got = getattr(t.impl, name)(q, k, *args, **kwargs)
    want = getattr(t.ref, name)(q, k, tau)
    t.assert_close(got, want, what=f"{name} with temperature {tau:.4g} ({how})")


@prop("info_nce is the mean over rows i of logsumexp_j(cos(q_i, k_j)/τ) - cos(q_i, k_i)/τ", weight=0.5)
def info_nce_is_cross_entropy_over_similarities(t):
    import torch

    q, k, d = draw_pairs(t, min_n=2)
    tau = t.draw(TEMPERATURES, "temperature")
    got = t.impl.info_nce(q, k, tau)
    # the definition, computed here in float64 with cosines written out (not the reference)
    q64, k64 = q.double(), k.double()
    cos = torch.einsum("nd,md->nm", q64, k64) / (q64.norm(dim=1)[:, None] * k64.norm(dim=1)[None, :])
    logits = cos / tau                                                   # (N, N)
    want = (logits.logsumexp(dim=1) - logits.diagonal()).mean()
    t.assert_close(got, want.to(t.dtype).to(got.device),
                   what=f"info_nce vs mean_i[logsumexp_j(cos_ij/τ) - cos_ii/τ] with τ={tau:.4g}, N={d['N']}")


@prop("identical embeddings give log N (every key is equally likely)", dtypes=("float32", "float64"), weight=0.5)
def identical_embeddings_give_log_n(t):
    import torch

    d = t.draw(dims("N", "D", high=7, N=(2, 7)), "sizes")
    v = t.tensor((d["D"],), label="the one query")
    w = t.tensor((d["D"],), label="the one key")
    q = v.expand(d["N"], d["D"]).contiguous()   # every query is v
    k = w.expand(d["N"], d["D"]).contiguous()   # every key is w
    name = t.draw(st.sampled_from(["info_nce", "clip_loss"]), "function")
    args, kwargs, tau, _ = draw_temperature(t)
    got = getattr(t.impl, name)(q, k, *args, **kwargs)
    want = torch.tensor(math.log(d["N"]), dtype=t.dtype, device=t.device)
    t.assert_close(got, want, what=f"{name} when all {d['N']} queries are one vector and all keys another "
                                   f"(every logit is equal, so the loss is log N = log {d['N']}; τ={tau:.4g})")


@prop("rescaling any query or key by a positive factor does not change the loss (rows are L2-normalised)",
      weight=0.75)
def positive_rescaling_invariance(t):
    import torch

    q, k, d = draw_pairs(t, min_n=2)
    g = torch.Generator().manual_seed(t.seed())
    a = torch.exp(torch.empty(d["N"], 1, dtype=torch.float64).uniform_(-3, 3, generator=g)).to(t.dtype)
    b = torch.exp(torch.empty(d["N"], 1, dtype=torch.float64).uniform_(-3, 3, generator=g)).to(t.dtype)
    tau = t.draw(TEMPERATURES, "temperature")
    for name in ("info_nce", "clip_loss"):
        fn = getattr(t.impl, name)
        before = fn(q, k, tau)
        after = fn(q * a, k * b, tau)
        t.assert_close(after, before, what=f"{name} after scaling the query rows by {_fmt(a)} and the key rows "
                                           f"by {_fmt(b)} (positive factors; τ={tau:.4g})")


@prop("permuting the pairs (the same permutation for queries and keys) does not change the loss", weight=0.5)
def pair_permutation_invariance(t):
    import torch

    q, k, d = draw_pairs(t, min_n=2)
    perm = t.draw(st.permutations(range(d["N"])), "permutation of the pairs")
    idx = torch.tensor(perm)
    tau = t.draw(TEMPERATURES, "temperature")
    for name in ("info_nce", "clip_loss"):
        fn = getattr(t.impl, name)
        before = fn(q, k, tau)
        after = fn(q[idx], k[idx], tau)
        t.assert_close(after, before, what=f"{name} with both queries and keys reordered by {perm} "
                                           f"(pair i stays a pair; τ={tau:.4g})")


@prop("clip_loss is symmetric and is the mean of your info_nce in both directions", weight=0.5)
def clip_loss_is_symmetric_mean(t):
    a, b, _ = draw_pairs(t, min_n=2)
    tau = t.draw(TEMPERATURES, "temperature")
    ab = t.impl.clip_loss(a, b, tau)
    ba = t.impl.clip_loss(b, a, tau)
    t.assert_close(ba, ab, what=f"clip_loss(text_emb, image_emb) vs clip_loss(image_emb, text_emb) (τ={tau:.4g})")
    i2t = t.impl.info_nce(a, b, tau)
    t2i = t.impl.info_nce(b, a, tau)
    t.assert_close(ab, (i2t + t2i) / 2, what=f"clip_loss vs (info_nce(image, text) + info_nce(text, image)) / 2 "
                                             f"= ({float(i2t):.5g} + {float(t2i):.5g}) / 2")
