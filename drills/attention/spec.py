"""Properties of scaled_dot_product_attention.

Every dimension is drawn separately and all sizes differ (Lq != Lk, D != Dv), so a
transpose, a softmax over the wrong axis or a scale by the wrong size cannot hide.
"""
import math

from hypothesis import strategies as st

from grader.props import prop
from grader.strategies import dims


def draw_case(t, masked=True, max_lead=2):
    """Leading dims, sizes, q/k/v and (sometimes) a broadcastable boolean mask."""
    n_lead = t.draw(st.integers(0, max_lead), "leading dims")
    names = [f"B{i}" for i in range(n_lead)]
    d = t.draw(dims(*names, "Lq", "Lk", "D", "Dv", high=7), "sizes")
    lead = tuple(d[n] for n in names)
    q = t.tensor(lead + (d["Lq"], d["D"]), label="q")
    k = t.tensor(lead + (d["Lk"], d["D"]), label="k")
    v = t.tensor(lead + (d["Lk"], d["Dv"]), label="v")
    mask = None
    if masked and t.draw(st.booleans(), "with mask"):
        # each mask dim is either full size or 1 (broadcast)
        full = lead + (d["Lq"], d["Lk"])
        keep = t.draw(st.lists(st.booleans(), min_size=len(full), max_size=len(full)), "mask dims kept")
        shape = tuple(s if kp else 1 for s, kp in zip(full, keep))
        shape = shape[t.draw(st.integers(0, n_lead), "mask dims dropped"):]
        mask = random_mask(shape, t.seed())
    return q, k, v, mask, d


def random_mask(shape, seed):
    import torch

    g = torch.Generator().manual_seed(seed)
    return torch.rand(shape, generator=g) < 0.7


@prop("output equals the reference (random shapes, masks that broadcast)", dtypes=("float32", "float64"), weight=2)
def matches_reference(t):
    q, k, v, mask, _ = draw_case(t)
    got = t.impl.scaled_dot_product_attention(q, k, v, mask)
    want = t.ref.scaled_dot_product_attention(q, k, v, mask)
    t.assert_close(got, want)


@prop("half precision: output equals the reference within fp16/bf16 tolerance", dtypes=("float16", "bfloat16"))
def matches_reference_half(t):
    q, k, v, mask, _ = draw_case(t)
    got = t.impl.scaled_dot_product_attention(q, k, v, mask)
    want = t.ref.scaled_dot_product_attention(q, k, v, mask)
    t.assert_close(got, want)


@prop("attention weights (seen through V = identity) are >= 0 and each row sums to 1")
def weights_are_a_distribution(t):
    import torch

    q, k, _, mask, d = draw_case(t, masked=False, max_lead=1)
    eye = torch.eye(d["Lk"]).expand(*k.shape[:-2], d["Lk"], d["Lk"]).contiguous()
    w = t.impl.scaled_dot_product_attention(q, k, eye)  # (..., Lq, Lk): the weights themselves
    t.assert_close(w.shape, tuple(q.shape[:-1]) + (d["Lk"],), what="output shape with V = I")
    t.check(bool((w >= -1e-6).all()), f"some attention weights are negative (min {w.min().item():.3g})")
    sums = w.sum(-1)
    t.check(bool(((sums - 1).abs() < 1e-4).all()),
            f"weights should sum to 1 over the keys (last axis); row sums are {sums.flatten()[:6].tolist()}")


@prop("keys and values a query may not attend to do not change its output")
def masked_keys_are_ignored(t):
    import torch

    q, k, v, _, d = draw_case(t, masked=False)
    mask = random_mask(q.shape[:-1] + (d["Lk"],), t.seed())
    hidden = ~mask.any(dim=-2, keepdim=True).transpose(-2, -1)  # (..., Lk, 1): keys nobody may see
    k2 = torch.where(hidden, k + 5.0, k)
    v2 = torch.where(hidden, v * 3.0 - 1.0, v)
    out1 = t.impl.scaled_dot_product_attention(q, k, v, mask)
    out2 = t.impl.scaled_dot_product_attention(q, k2, v2, mask)
    t.assert_close(out2, out1, what="output after changing keys/values that are masked out for every query")
    want = t.ref.scaled_dot_product_attention(q, k, v, mask)
    t.assert_close(out1, want)


@prop("a query row whose mask allows no key returns zeros; other rows are unaffected", dtypes=("float32", "float16"))
def fully_masked_rows_are_zero(t):
    q, k, v, _, d = draw_case(t, masked=False, max_lead=1)
    mask = random_mask(q.shape[:-1] + (d["Lk"],), t.seed())
    row = t.draw(st.integers(0, d["Lq"] - 1), "fully masked query row")
    mask[..., row, :] = False
    got = t.impl.scaled_dot_product_attention(q, k, v, mask)
    want = t.ref.scaled_dot_product_attention(q, k, v, mask)
    t.assert_close(got, want)


@prop("adding the same vector to every key does not change the output (softmax is over keys)")
def key_shift_invariance(t):
    q, k, v, mask, d = draw_case(t)
    shift = t.tensor((d["D"],), label="shift")
    out1 = t.impl.scaled_dot_product_attention(q, k, v, mask)
    out2 = t.impl.scaled_dot_product_attention(q, k + shift, v, mask)
    t.assert_close(out2, out1, what="output with every key shifted by the same vector", rtol=1e-3, atol=1e-4)


@prop("permuting the keys together with their values (and mask columns) does not change the output")
def key_permutation_invariance(t):
    import torch

    q, k, v, mask, d = draw_case(t)
    perm = torch.tensor(t.draw(st.permutations(range(d["Lk"])), "key permutation"))
    mask2 = None if mask is None else (mask[..., perm] if mask.shape[-1] > 1 else mask)
    out1 = t.impl.scaled_dot_product_attention(q, k, v, mask)
    out2 = t.impl.scaled_dot_product_attention(q, k[..., perm, :], v[..., perm, :], mask2)
    t.assert_close(out2, out1, what="output with keys/values permuted", rtol=1e-3, atol=1e-5)


@prop("the scale is 1/sqrt(D): scaling q by c equals attention at temperature 1/c")
def scale_uses_sqrt_d(t):
    q, k, v, mask, d = draw_case(t, masked=False)
    got = t.impl.scaled_dot_product_attention(q * 2.0, k, v)
    want = t.ref.scaled_dot_product_attention(q * 2.0, k, v)
    t.assert_close(got, want, what=f"output for 2·q (D={d['D']}, so scores are q·k·2/√{d['D']} = "
                                   f"q·k·{2 / math.sqrt(d['D']):.3g})")
