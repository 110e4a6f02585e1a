"""Properties of softmax, log_softmax and cross_entropy.

softmax/log_softmax: the number of axes, every size and the normalised axis are drawn
separately (sizes all differ) and `dim` is passed as a negative or a positive index, so
a softmax over the wrong axis cannot hide. cross_entropy: N, C and the extra dims differ,
so log-probabilities taken over the last axis instead of dim 1 show; ignore_index is
-100, -1 or a valid class, and some targets are always ignored where the claim needs it.
Some properties use logits far outside the usual range (offsets of ±1e4, spreads of
hundreds) because that is where the unstable formulas break.
"""
from hypothesis import strategies as st

from grader.compare import tolerance
from grader.props import prop
from grader.strategies import dims, int_tensor

SMOOTHING = [0.0, 0.1, 0.3, 1.0]


# -- drawing cases ------------------------------------------------------------------------

def draw_case(t, scale=None, min_v=1):
    """x with 1 to 3 axes; the normalised axis V (at `pos`) among them."""
    n = t.draw(st.integers(1, 3), "number of axes")
    pos = t.draw(st.integers(0, n - 1), "position of the softmax axis")
    names = ["V" if i == pos else f"B{i}" for i in range(n)]
    d = t.draw(dims(*names, high=6, V=(min_v, 6)), "sizes")
    shape = tuple(d[name] for name in names)
    if scale is None:
        scale = t.draw(st.sampled_from([0.5, 1.0, 3.0]), "logit scale")
    return t.tensor(shape, scale=scale, label="x"), pos, n


def draw_dim(t, pos, n):
    """(args, kwargs, dim): the axis as +k or -k, by position or keyword, or by default."""
    ways = ["positional +", "positional -", "keyword +", "keyword -"] + (["default"] if pos == n - 1 else [])
    how = t.draw(st.sampled_from(ways), "how dim is passed")
    if how == "default":
        return (), {}, -1
    dim = pos if how.endswith("+") else pos - n
    return ((dim,), {}, dim) if how.startswith("positional") else ((), {"dim": dim}, dim)


def magnitude_atol(t, x, factor=8):
    """atol for huge inputs: a float32 logit of 1e4 is only known to ~1e-3 (its spacing), so
    an output near 0 computed as x - (max + log Σ) (a correct idiom) is off by that much.
    The broken formulas these properties target give inf/NaN, far outside any tolerance."""
    import torch

    eps = torch.finfo(t.dtype).eps
    return max(tolerance(t.dtype)[1], factor * eps * float(x.abs().max()))


def call(name, x, dim):
    return f"{name}(x of shape {tuple(x.shape)}, dim={dim})"


def draw_ce(t, extra=None, ignored="some", smoothing=None, scale=None, classes=(1, 7)):
    """logits (N, C, *extra), targets (N, *extra), and the keyword arguments to pass."""
    import torch

    n_extra = t.draw(st.integers(0, 2), "extra dims (d1, ...)") if extra is None else extra
    names = [f"d{i + 1}" for i in range(n_extra)]
    d = t.draw(dims("N", "C", *names, high=6, C=classes), "sizes")
    N, C, ext = d["N"], d["C"], tuple(d[k] for k in names)
    if scale is None:
        scale = t.draw(st.sampled_from([0.5, 1.0, 3.0]), "logit scale")
    logits = t.tensor((N, C) + ext, scale=scale, label="logits")
    targets = int_tensor((N,) + ext, 0, C, t.seed())
    kwargs = {}
    ways = ["default -100", "-100", "-1"] + (["a valid class"] if C >= 2 else [])
    how = t.draw(st.sampled_from(ways), "ignore_index")
    ignore_index = {"default -100": -100, "-100": -100, "-1": -1}.get(how)
    if ignore_index is None:
        ignore_index = t.draw(st.integers(0, C - 1), "ignore_index (a class)")
    if how != "default -100":
        kwargs["ignore_index"] = ignore_index
    flat = targets.flatten()
    if ignored != "all" and flat[0] == ignore_index:
        flat[0] = (ignore_index + 1) % C  # the first target is always kept (C >= 2 here)
    if ignored != "none":
        g = torch.Generator().manual_seed(t.seed())
        drop = torch.rand(flat.shape, generator=g) < 0.4
        drop[0] = False
        if flat.numel() > 1:
            drop[-1] = True  # at least one ignored target
        if ignored == "all":
            drop[:] = True
        flat = flat.masked_fill(drop, ignore_index)
    targets = flat.view(targets.shape)
    eps = t.draw(st.sampled_from(SMOOTHING), "label_smoothing") if smoothing is None else smoothing
    if eps:
        kwargs["label_smoothing"] = eps
    return logits, targets, kwargs


def ce_call(logits, targets, kwargs):
    kept = int((targets != kwargs.get("ignore_index", -100)).sum())
    args = "".join(f", {k}={v}" for k, v in kwargs.items())
    return (f"cross_entropy(logits of shape {tuple(logits.shape)}, targets of shape {tuple(targets.shape)}"
            f"{args}) with {kept} of {targets.numel()} targets kept")


# -- equality with the reference, and what "ignored" means ----------------------------------

@prop("softmax equals the reference (random shapes; dim drawn among all axes, negative or positive)",
      dtypes=("float32", "float64"), weight=1.5)
def softmax_matches_reference(t):
    x, pos, n = draw_case(t)
    args, kwargs, dim = draw_dim(t, pos, n)
    t.assert_close(t.impl.softmax(x, *args, **kwargs), t.ref.softmax(x, dim), what=call("softmax", x, dim))


@prop("log_softmax equals the reference (random shapes; dim drawn among all axes, negative or positive)",
      dtypes=("float32", "float64"), weight=1.5)
def log_softmax_matches_reference(t):
    x, pos, n = draw_case(t)
    args, kwargs, dim = draw_dim(t, pos, n)
    t.assert_close(t.impl.log_softmax(x, *args, **kwargs), t.ref.log_softmax(x, dim),
                   what=call("log_softmax", x, dim))


@prop("cross_entropy equals the reference ((N, C) and (N, C, d1, ...); ignored targets; label smoothing)",
      dtypes=("float32", "float64"), weight=1.5)
def cross_entropy_matches_reference(t):
    logits, targets, kw = draw_ce(t)
    t.assert_close(t.impl.cross_entropy(logits, targets, **kw), t.ref.cross_entropy(logits, targets, **kw),
                   what=ce_call(logits, targets, kw))


@prop("ignored targets are left out: the loss equals the loss of the kept rows alone")
def ignored_rows_are_left_out(t):
    logits, targets, kw = draw_ce(t, extra=0)
    keep = targets != kw.get("ignore_index", -100)
    whole = t.impl.cross_entropy(logits, targets, **kw)
    alone = t.impl.cross_entropy(logits[keep], targets[keep], **kw)
    t.assert_close(whole, alone, what=f"{ce_call(logits, targets, kw)}, vs the same call on the "
                                      f"{int(keep.sum())} kept rows only (the mean runs over kept targets)")


@prop("every target ignored: the loss is NaN (0 / 0), as in torch")
def all_ignored_is_nan(t):
    import torch

    logits, targets, kw = draw_ce(t, ignored="all")
    got = t.impl.cross_entropy(logits, targets, **kw)
    t.check(isinstance(got, torch.Tensor) and got.dim() == 0 and bool(torch.isnan(got)),
            f"{ce_call(logits, targets, kw)}: the mean over no target should be NaN (0 / 0, like "
            f"torch.nn.functional.cross_entropy); got {got!r}")
    t.assert_close(got, t.ref.cross_entropy(logits, targets, **kw), what=ce_call(logits, targets, kw))
    # the same logits with the first two targets kept: only the empty mean is NaN
    some = targets.clone()
    some.view(-1)[:2] = (kw.get("ignore_index", -100) + 1) % logits.shape[1]
    t.assert_close(t.impl.cross_entropy(logits, some, **kw), t.ref.cross_entropy(logits, some, **kw),
                   what=ce_call(logits, some, kw))


# -- numerics and metamorphic claims ------------------------------------------------------

@prop("softmax is a distribution along dim: entries >= 0 that sum to 1, unchanged by adding a constant")
def softmax_is_a_distribution(t):
    import torch

    x, pos, n = draw_case(t)
    args, kwargs, dim = draw_dim(t, pos, n)
    p = t.impl.softmax(x, *args, **kwargs)
    t.check(isinstance(p, torch.Tensor) and p.shape == x.shape,
            f"{call('softmax', x, dim)} should have x's shape {tuple(x.shape)}")
    t.check(bool((p >= 0).all()), f"{call('softmax', x, dim)} has negative entries (min {p.min().item():.3g})")
    sums = p.sum(dim)
    t.check(bool(((sums - 1).abs() < 1e-5).all()),
            f"{call('softmax', x, dim)} should sum to 1 along dim {dim}; the sums are {sums.flatten()[:6].tolist()}")
    shifted = t.impl.softmax(x + 7.5, *args, **kwargs)
    t.assert_close(shifted, p, what=f"{call('softmax', x, dim)} for x + 7.5, vs for x")


@prop("half precision: softmax and log_softmax equal the reference within fp16/bf16 tolerance, in the input's dtype",
      dtypes=("float16", "bfloat16"), weight=0.6)
def half_matches_reference(t):
    x, pos, n = draw_case(t)
    args, kwargs, dim = draw_dim(t, pos, n)
    t.assert_close(t.impl.softmax(x, *args, **kwargs), t.ref.softmax(x, dim), what=call("softmax", x, dim))
    t.assert_close(t.impl.log_softmax(x, *args, **kwargs), t.ref.log_softmax(x, dim),
                   what=call("log_softmax", x, dim))


def offset_by_1e4(t, x, axis):
    """x plus a large offset, ±(1 to 2)·1e4, constant along `axis` (one per slice): the usual
    way logits get huge. Softmax ignores it; exp(x) alone overflows (or underflows to 0/0)."""
    import torch

    g = torch.Generator().manual_seed(t.seed())
    shape = tuple(1 if i == axis else s for i, s in enumerate(x.shape))
    sign = torch.where(torch.rand(shape, generator=g) < 0.5, -1.0, 1.0)
    offset = sign * (1.0 + torch.rand(shape, generator=g)) * 1e4
    return (x.double() + offset.double()).to(x.dtype)


@prop("logits around ±1e4 give finite, correct softmax and log_softmax (shift by the max first)",
      dtypes=("float32", "float64"))
def huge_logits_do_not_overflow(t):
    import torch

    x, pos, n = draw_case(t)
    x = offset_by_1e4(t, x, pos)
    args, kwargs, dim = draw_dim(t, pos, n)
    atol = magnitude_atol(t, x)
    for name in ("softmax", "log_softmax"):
        got = getattr(t.impl, name)(x, *args, **kwargs)
        label = call(name, x, dim) + f" with |x| up to {x.abs().max().item():.3g}"
        if isinstance(got, torch.Tensor) and got.shape == x.shape:
            t.check(bool(torch.isfinite(got).all()),
                    f"{label} has inf/NaN ({got.flatten()[:4].tolist()}...): exp(1e4) overflows and "
                    f"exp(-1e4) underflows to 0; subtract the max along dim before exp")
        t.assert_close(got, getattr(t.ref, name)(x, dim), what=label, atol=atol)


@prop("log_softmax stays finite far below the max (logits spread over hundreds: no log of softmax)",
      dtypes=("float32", "float64"))
def log_softmax_far_below_the_max(t):
    import torch

    scale = t.draw(st.sampled_from([300.0, 1000.0]), "logit scale")
    x, pos, n = draw_case(t, scale=scale, min_v=2)
    args, kwargs, dim = draw_dim(t, pos, n)
    got = t.impl.log_softmax(x, *args, **kwargs)
    label = call("log_softmax", x, dim) + f", logits of scale {scale:g}"
    if isinstance(got, torch.Tensor) and got.shape == x.shape:
        t.check(bool(torch.isfinite(got).all()),
                f"{label} has -inf/NaN where the true log-probability is finite (e.g. -500): "
                f"log(softmax(x)) underflows; compute (x - max) - log Σ exp(x - max)")
    t.assert_close(got, t.ref.log_softmax(x, dim), what=label, atol=magnitude_atol(t, x))


@prop("a logit of -inf gets probability 0 and log-probability -inf; the other entries are unaffected",
      weight=0.5)
def minus_inf_logits_are_masked_out(t):
    import torch

    x, pos, n = draw_case(t, min_v=2)
    args, kwargs, dim = draw_dim(t, pos, n)
    g = torch.Generator().manual_seed(t.seed())
    masked = torch.rand(x.shape, generator=g) < 0.4
    # keep the first entry of every slice finite: every slice has a finite logit
    first = torch.zeros_like(masked)
    first.narrow(pos, 0, 1).fill_(True)
    x = x.masked_fill(masked & ~first, float("-inf"))
    masked = torch.isinf(x)
    for name, want_there in (("softmax", 0.0), ("log_softmax", float("-inf"))):
        got = getattr(t.impl, name)(x, *args, **kwargs)
        label = call(name, x, dim) + " with some logits = -inf"
        if isinstance(got, torch.Tensor) and got.shape == x.shape:
            there = got[masked.to(got.device)]
            t.check(bool((there == want_there).all()),
                    f"{label}: where a logit is -inf the result should be exactly {want_there}; "
                    f"got {there[:6].tolist()}")
        t.assert_close(got, getattr(t.ref, name)(x, dim), what=label)


@prop("equal logits give loss log C, whatever the targets and label smoothing", weight=0.5)
def uniform_logits_give_log_c(t):
    import math

    import torch

    logits, targets, kw = draw_ce(t, classes=(2, 7))
    flat = torch.full_like(logits, 1.5)
    got = t.impl.cross_entropy(flat, targets, **kw)
    C = logits.shape[1]
    t.assert_close(got, torch.tensor(math.log(C), dtype=t.dtype, device=t.device),
                   what=f"{ce_call(flat, targets, kw)} with every logit 1.5 (uniform: -log(1/{C}) = log {C})")


@prop("half precision: cross_entropy equals the reference within fp16/bf16 tolerance, in the logits' dtype",
      dtypes=("float16", "bfloat16"), weight=0.6)
def cross_entropy_half(t):
    logits, targets, kw = draw_ce(t)
    t.assert_close(t.impl.cross_entropy(logits, targets, **kw), t.ref.cross_entropy(logits, targets, **kw),
                   what=ce_call(logits, targets, kw) + f" in {t.dtype_name}")


@prop("cross_entropy with logits around ±1e4 is finite and correct", dtypes=("float32", "float64"))
def cross_entropy_huge_logits(t):
    import torch

    logits, targets, kw = draw_ce(t)
    logits = offset_by_1e4(t, logits, 1)
    got = t.impl.cross_entropy(logits, targets, **kw)
    label = ce_call(logits, targets, kw) + f", |logits| up to {logits.abs().max().item():.3g}"
    if isinstance(got, torch.Tensor):
        t.check(bool(torch.isfinite(got).all()),
                f"{label} gives {got!r}: exp(1e4) overflows; subtract the max over the classes first")
    t.assert_close(got, t.ref.cross_entropy(logits, targets, **kw), what=label, atol=magnitude_atol(t, logits))


@prop("the gradient of cross_entropy with respect to the logits equals the reference's",
      dtypes=("float32", "float64"))
def cross_entropy_gradient(t):
    import torch

    logits, targets, kw = draw_ce(t)
    g = torch.tensor(t.draw(st.sampled_from([1.0, 0.5, -2.0]), "grad_output"), dtype=t.dtype)
    got = t.impl.grad("cross_entropy", logits, targets, wrt=(0,), grad_output=g, **kw)
    want = t.ref.grad("cross_entropy", logits, targets, wrt=(0,), grad_output=g, **kw)
    label = ce_call(logits, targets, kw)
    t.assert_close(got["output"], want["output"], what=label)
    t.assert_close(got["input_grads"][0], want["input_grads"][0],
                   what=f"gradient of {label} with respect to the logits (softmax - target distribution, "
                        f"divided by the number of kept targets)")
