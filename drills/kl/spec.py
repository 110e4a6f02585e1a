"""Properties of kl_divergence.

The number of axes, every size and the reduced axis are drawn separately (sizes all
differ), and `dim` is passed as a negative or a positive index, so reducing over the
wrong axis or keeping it cannot hide. Random logits make KL(P||Q) != KL(Q||P), which is
how the reference comparison catches a reversed direction.
"""
from hypothesis import strategies as st

from grader.props import prop
from grader.strategies import dims


def draw_case(t, min_v=1, scale=None):
    """Shape (1 to 3 axes), the distribution axis V among them, and p/q logits."""
    n = t.draw(st.integers(1, 3), "number of axes")
    pos = t.draw(st.integers(0, n - 1), "position of the distribution axis")
    names = ["V" if i == pos else f"B{i}" for i in range(n)]
    d = t.draw(dims(*names, high=6, V=(min_v, 6)), "sizes")
    shape = tuple(d[name] for name in names)
    if scale is None:
        scale = t.draw(st.sampled_from([0.5, 1.0, 3.0]), "logit scale")
    p = t.tensor(shape, scale=scale, label="p_logits")
    q = t.tensor(shape, scale=scale, label="q_logits")
    return p, q, pos, n


def draw_dim(t, pos, n):
    """(args, kwargs, dim as an int) passing the axis as -k or +k, by position or keyword, or by default."""
    ways = ["positional +", "positional -", "keyword +", "keyword -"] + (["default"] if pos == n - 1 else [])
    how = t.draw(st.sampled_from(ways), "how dim is passed")
    if how == "default":
        return (), {}, -1
    dim = pos if how.endswith("+") else pos - n
    return ((dim,), {}, dim) if how.startswith("positional") else ((), {"dim": dim}, dim)


def reduced_shape(shape, dim):
    return tuple(s for i, s in enumerate(shape) if i != dim % len(shape))


def require_tensor(t, got, what):
    import torch

    t.check(isinstance(got, torch.Tensor), f"{what}: expected a tensor, got {type(got).__name__}")


@prop("kl_divergence equals the reference (random shapes; dim drawn among all axes, negative or positive)",
      dtypes=("float32", "float64"), weight=1.5)
def matches_reference(t):
    p, q, pos, n = draw_case(t)
    args, kwargs, dim = draw_dim(t, pos, n)
    got = t.impl.kl_divergence(p, q, *args, **kwargs)
    want = t.ref.kl_divergence(p, q, dim)
    t.assert_close(got, want, what=f"kl_divergence for inputs of shape {tuple(p.shape)}, dim={dim}")


@prop("finite and correct for logits of magnitude 1e4 (log-probabilities, not log of a softmax)")
def large_logits(t):
    import torch

    p, q, pos, n = draw_case(t, min_v=2, scale=1e4)
    args, kwargs, dim = draw_dim(t, pos, n)
    got = t.impl.kl_divergence(p, q, *args, **kwargs)
    require_tensor(t, got, "kl_divergence")
    bad = ~torch.isfinite(got)
    if bad.any():
        t.check(False, f"{int(bad.sum())} of {got.numel()} KL values are not finite (first: {got[bad][0].item()}) "
                       f"for logits of magnitude ~1e4 (shape {tuple(p.shape)}, dim={dim}): softmax underflows to 0 "
                       "there, and log(0) = -inf")
    want = t.ref.kl_divergence(p, q, dim)
    t.assert_close(got, want, what=f"kl_divergence for logits of magnitude ~1e4, shape {tuple(p.shape)}, dim={dim}")


@prop("a -inf logit in P (probability 0) adds 0 to the sum, not NaN", dtypes=("float32", "float64"))
def zero_probability_in_p(t):
    import torch

    p, q, pos, n = draw_case(t, min_v=2)
    args, kwargs, dim = draw_dim(t, pos, n)
    g = torch.Generator().manual_seed(t.seed())
    r = torch.rand(p.shape, generator=g)
    # about 40% of the outcomes get probability 0, never the largest r of a distribution
    zero = (r < 0.4) & (r < r.amax(dim=pos, keepdim=True))
    p = p.masked_fill(zero, float("-inf"))
    got = t.impl.kl_divergence(p, q, *args, **kwargs)
    require_tensor(t, got, "kl_divergence")
    nan = torch.isnan(got)
    t.check(not bool(nan.any()),
            f"{int(nan.sum())} of {got.numel()} KL values are NaN when some p_logits are -inf "
            f"(shape {tuple(p.shape)}, dim={dim}): P(x) = 0 there, and 0 * log 0 must count as 0, "
            "not 0 * -inf = NaN")
    want = t.ref.kl_divergence(p, q, dim)
    t.assert_close(got, want, what=f"kl_divergence with {int(zero.sum())} p_logits set to -inf, "
                                   f"shape {tuple(p.shape)}, dim={dim}")


@prop("KL(P || Q) >= 0 for every distribution")
def is_non_negative(t):
    p, q, pos, n = draw_case(t)
    args, kwargs, dim = draw_dim(t, pos, n)
    got = t.impl.kl_divergence(p, q, *args, **kwargs)
    require_tensor(t, got, "kl_divergence")
    # a tolerance for rounding when P and Q are close; a real sign error is far larger
    t.check(bool((got >= -1e-5).all()),
            f"KL must be >= 0 (Gibbs' inequality), got a minimum of {got.min().item():.4g} "
            f"for inputs of shape {tuple(p.shape)}, dim={dim}")


@prop("KL is 0 when the logits differ by a constant along dim (the same distribution)",
      dtypes=("float32", "float64"))
def zero_for_shifted_logits(t):
    import torch

    p, _, pos, n = draw_case(t)
    args, kwargs, dim = draw_dim(t, pos, n)
    shift_shape = tuple(1 if i == pos else s for i, s in enumerate(p.shape))
    shift = t.tensor(shift_shape, scale=3.0, label="shift")   # one constant per distribution
    got = t.impl.kl_divergence(p, p + shift, *args, **kwargs)
    want = torch.zeros(reduced_shape(p.shape, pos), dtype=t.dtype, device=t.device)
    t.assert_close(got, want, what=f"kl_divergence(p, p + c) with c constant along dim={dim} "
                                   f"(softmax(p + c) = softmax(p), so every KL is 0)")


@prop("equals the sum over dim of F.kl_div(log Q, log P, log_target=True, reduction='none') (torch's own)",
      dtypes=("float32", "float64"), weight=0.5)
def matches_torch_kl_div(t):
    import torch.nn.functional as F

    p, q, pos, n = draw_case(t)
    args, kwargs, dim = draw_dim(t, pos, n)
    got = t.impl.kl_divergence(p, q, *args, **kwargs)
    # torch's argument order is (input = log Q, target = log P) for KL(P || Q)
    log_p, log_q = F.log_softmax(p.double(), dim=dim), F.log_softmax(q.double(), dim=dim)
    want = F.kl_div(log_q, log_p, log_target=True, reduction="none").sum(dim=dim)
    t.assert_close(got, want.to(t.dtype).to(t.device), what=f"kl_divergence vs torch's F.kl_div, shape "
                                                            f"{tuple(p.shape)}, dim={dim}")
