"""Properties of LayerNorm.

The leading dims and D are drawn separately and differ, so statistics over the wrong
axis cannot hide. Both modules get the same random weight and bias (load_state_dict),
never their own init, except where the init itself is the claim. Input scales run from
1e-3 (variance comparable to eps, where eps handling shows) to 30; the unit-variance
property uses rows whose variance is set exactly, so that eps is negligible there; the
offset property adds ±3000 to 6000 to every feature of a row, where E[x²] - E[x]²
cancels catastrophically in float32.
"""
from hypothesis import strategies as st

from grader.compare import describe
from grader.props import prop
from grader.strategies import dims

EPS_CHOICES = [None, 1e-5, 1e-6, 1e-3]  # None: leave eps at its default (1e-5)


def draw_shape(t, max_lead=2, low=1):
    """(leading dims..., D), all sizes distinct."""
    n_lead = t.draw(st.integers(0, max_lead), "leading dims")
    names = [f"B{i}" for i in range(n_lead)]
    d = t.draw(dims(*names, "D", high=7, D=(low, 7)), "sizes")
    return tuple(d[n] for n in names) + (d["D"],)


def draw_flags(t):
    """Constructor keyword arguments: elementwise_affine and bias, passed only sometimes."""
    kw = {}
    affine = t.draw(st.sampled_from([True, True, False]), "elementwise_affine")
    bias = t.draw(st.booleans(), "bias")
    if not affine or t.draw(st.booleans(), "pass elementwise_affine=True explicitly"):
        kw["elementwise_affine"] = affine
    if not bias or t.draw(st.booleans(), "pass bias=True explicitly"):
        kw["bias"] = bias
    return kw


def state_keys(kw):
    """The parameters a LayerNorm built with these keyword arguments has (as in torch)."""
    if not kw.get("elementwise_affine", True):
        return []
    return ["bias", "weight"] if kw.get("bias", True) else ["weight"]


def label(D, kw, shape):
    args = "".join(f", {k}={v}" for k, v in kw.items())
    return f"LayerNorm({D}{args})(x of shape {shape})"


def new_module(impl, t, D, kw, dtype=None):
    """impl.LayerNorm(D, **kw) moved to the property's device (and dtype)."""
    return impl.LayerNorm(D, **kw).to(device=t.device, dtype=dtype)


def make_modules(t, D, kw, dtype=None):
    """The user's and the reference module with the same random weight and bias."""
    mods = [new_module(t.impl, t, D, kw, dtype), new_module(t.ref, t, D, kw, dtype)]
    sd = {"weight": t.tensor((D,), scale=0.5, dtype="float32") + 1.0,  # around 1, some negative
          "bias": t.tensor((D,), scale=0.5, dtype="float32")}
    sd = {k: v for k, v in sd.items() if k in state_keys(kw)}
    for m in mods:
        m.load_state_dict(sd)  # strict: a missing or extra parameter is reported here
    return mods


def unit_variance_rows(t, shape, dtype="float64"):
    """Random vectors with (biased) variance exactly 1 about their mean, in float64, then cast."""
    import torch

    x = t.tensor(shape, dtype="float64")
    c = x - x.mean(-1, keepdim=True)
    c = c / c.pow(2).mean(-1, keepdim=True).sqrt().clamp_min(1e-3)
    return c.to(getattr(torch, dtype))


@prop("weight (ones) and bias (zeros) of shape (D,) are the only parameters; bias=False drops the bias; "
      "elementwise_affine=False has none")
def parameters_as_stated(t):
    import torch

    shape = draw_shape(t, max_lead=1)
    D = shape[-1]
    kw = draw_flags(t)
    m = new_module(t.impl, t, D, kw)
    call = f"LayerNorm({D}{''.join(f', {k}={v}' for k, v in kw.items())})"
    state = m.state_dict()
    keys = sorted(state) if isinstance(state, dict) else describe(state)
    want = state_keys(kw)
    t.check(keys == want, f"{call}.state_dict() should hold exactly {want}; it holds {keys} (weight and "
                          "bias are nn.Parameters, created only when asked for; eps is a plain float)")
    for name, value in (("weight", 1.0), ("bias", 0.0)):
        if name in want:
            p = state[name]
            t.check(isinstance(p, torch.Tensor) and tuple(p.shape) == (D,) and p.dtype == torch.float32
                    and bool((p == value).all()),
                    f"{call}.{name} should start as float32 {'ones' if value else 'zeros'} of shape ({D},); "
                    f"got {describe(p)} with values {p.flatten()[:6].tolist() if isinstance(p, torch.Tensor) else p}")
    x = t.tensor(shape)
    out = m.grad(x, wrt=(0,), grad_output=t.tensor(shape))
    names = sorted(out["param_grads"])
    t.check(names == want, f"{call}: named_parameters() should be {want}; got {names}")


@prop("output equals the reference (random weight and bias, eps, affine/bias flags, tiny to large inputs)",
      dtypes=("float32", "float64"), weight=2)
def matches_reference(t):
    shape = draw_shape(t)
    kw = draw_flags(t)
    eps = t.draw(st.sampled_from(EPS_CHOICES), "eps")
    if eps is not None:
        kw["eps"] = eps
    scale = t.draw(st.sampled_from([1e-3, 0.1, 1.0, 30.0]), "input scale")
    m, ref = make_modules(t, shape[-1], kw, dtype=t.dtype)
    x = t.tensor(shape, scale=scale)
    if scale >= 1.0:
        # subtle: not with small scales: a float32 spread of 0.1 around 5 keeps only ~5 digits,
        # and correct implementations (var_mean vs two passes) then differ beyond float32 tolerance
        x = x + t.draw(st.sampled_from([0.0, 2.0, -5.0]), "input offset")
    t.assert_close(m(x), ref(x), what=label(shape[-1], kw, shape))


@prop("half precision: output equals the reference within fp16/bf16 tolerance, in the input's dtype",
      dtypes=("float16", "bfloat16"))
def matches_reference_half(t):
    shape = draw_shape(t)
    kw = draw_flags(t)
    # subtle: no tiny inputs here: where eps matters, fp16/bf16 tolerances cannot tell the
    # eps mistakes apart (the float32/float64 property catches them)
    scale = t.draw(st.sampled_from([0.5, 1.0, 10.0]), "input scale")
    m, ref = make_modules(t, shape[-1], kw, dtype=t.dtype)
    x = t.tensor(shape, scale=scale)
    t.assert_close(m(x), ref(x), what=label(shape[-1], kw, shape) + f" in {t.dtype_name}, module converted with .to()")


@prop("float16 inputs spread over ±300 do not overflow (the variance is taken in float32)", dtypes=("float16",),
      weight=0.5)
def half_does_not_overflow(t):
    import torch

    shape = draw_shape(t, low=2)
    m, ref = make_modules(t, shape[-1], {}, dtype=t.dtype)
    x = t.tensor(shape, scale=60.0, dtype="float32")
    x = (x + 300.0 * torch.where(x < 0, -1.0, 1.0)).to(t.dtype)  # |x| mostly 200..400: (x - mean)² > 65504
    got = m(x)
    what = label(shape[-1], {}, shape) + " in float16, |x - mean| ≈ 300"
    if isinstance(got, torch.Tensor):
        t.check(bool(torch.isfinite(got).all()) and bool((got != 0).any()),
                f"{what}: the output has inf/NaN or is all zeros ({got.flatten()[:4].tolist()}...); "
                "(x - mean)² = 90000 overflows float16 (max 65504): compute the statistics in float32")
    t.assert_close(got, ref(x), what=what)


@prop("a large common offset (rows around ±3000..6000, spread 1) is normalised accurately: centre, then square",
      weight=0.5)
def large_offset_is_accurate(t):
    import torch

    shape = draw_shape(t, low=2)
    D = shape[-1]
    x64 = unit_variance_rows(t, shape) * t.draw(st.sampled_from([1.0, 2.0]), "row std")
    g = torch.Generator().manual_seed(t.seed())
    offset = (torch.rand(shape[:-1] + (1,), generator=g, dtype=torch.float64) + 1.0) * 3000.0
    offset = torch.where(torch.rand(offset.shape, generator=g) < 0.5, -offset, offset)
    x = (x64 + offset).float()
    got = new_module(t.impl, t, D, {})(x)
    # the truth: the same float32 input, normalised in float64
    want = new_module(t.ref, t, D, {}, dtype=torch.float64)(x.double()).float()
    # subtle: a float32 number near 6000 is only known to ~5e-4 (its spacing), so even a
    # correct two-pass float32 computation (and torch's own LayerNorm) is off by ~1e-3 here;
    # E[x²] - E[x]² loses all the variance's digits (errors of 0.3 and more)
    atol = 4 * torch.finfo(torch.float32).eps * float(offset.abs().max())
    t.assert_close(got, want, what=label(D, {}, shape) + f" for rows offset by up to {float(offset.abs().max()):.0f}",
                   atol=atol, rtol=1e-3)


@prop("with the initial weight and bias, every output vector has mean 0 and variance 1 (biased: divide by D)")
def unit_mean_and_variance(t):
    import torch

    shape = draw_shape(t, low=2)
    D = shape[-1]
    m = new_module(t.impl, t, D, {})
    c = t.draw(st.sampled_from([0.5, 1.0, 4.0]), "input std")
    x = (unit_variance_rows(t, shape) * c).float() + t.draw(st.sampled_from([0.0, 3.0]), "offset")
    y = m(x)
    t.check(isinstance(y, torch.Tensor) and y.shape == x.shape,
            f"{label(D, {}, shape)} should have shape {tuple(shape)}; got {describe(y)}")
    yd = y.double()
    mean = yd.mean(-1)
    var = (yd - mean.unsqueeze(-1)).pow(2).mean(-1)
    t.check(bool((mean.abs() < 1e-4).all()),
            f"{label(D, {}, shape)} (fresh module): each output vector should have mean 0; means are "
            f"{mean.flatten()[:6].tolist()}")
    t.check(bool(((var - 1).abs() < 1e-3).all()),
            f"{label(D, {}, shape)} (fresh module, input variance {c * c:g} >> eps): each output vector should "
            f"have variance 1 (sum of squares / D); got {var.flatten()[:6].tolist()}"
            + (f" = (D-1)/D = {(D - 1) / D:.4g}? the variance must divide by D, not D - 1" if D > 1 else ""))


@prop("gradients with respect to x, weight and bias equal the reference's", dtypes=("float32", "float64"))
def gradients_match_reference(t):
    shape = draw_shape(t)
    kw = draw_flags(t)
    scale = t.draw(st.sampled_from([0.3, 1.0, 5.0]), "input scale")
    m, ref = make_modules(t, shape[-1], kw, dtype=t.dtype)
    # subtle: rows with a known spread. The gradient of x is a difference of terms of size
    # |g|/std; for a row of nearly equal values it cancels to rounding noise
    x = unit_variance_rows(t, shape, dtype=t.dtype_name) * scale + t.draw(st.sampled_from([0.0, 1.0]), "offset")
    g = t.tensor(shape)
    got = m.grad(x, wrt=(0,), grad_output=g)
    want = ref.grad(x, wrt=(0,), grad_output=g)
    what = label(shape[-1], kw, shape)
    t.assert_close(got["output"], want["output"], what=what)
    for name in state_keys(kw):
        t.assert_close(got["param_grads"].get(name), want["param_grads"][name],
                       what=f"gradient of {name} for {what} (does {name} take part in autograd?)")
    t.assert_close(got["input_grads"][0], want["input_grads"][0], what=f"gradient of x for {what}")
