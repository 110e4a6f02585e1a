"""Properties of RMSNorm.

The leading dims and `dim` are drawn separately and differ, so a mean over the wrong axis
cannot hide. Both modules get the same random weights (load_state_dict), never their own
init, except where the init itself is the claim. Input scales run from 1e-3 (mean square
comparable to eps, where eps handling shows) to 30; the scale-invariance and unit-RMS
properties use vectors whose RMS is controlled, so that eps is negligible there.
"""
from hypothesis import strategies as st

from grader.compare import describe
from grader.props import prop
from grader.strategies import dims

EPS_CHOICES = [None, 1e-6, 1e-5, 1e-3]  # None: leave eps at its default (1e-6)


def draw_shape(t, max_lead=2, high=7):
    """(leading dims..., dim), all sizes distinct."""
    n_lead = t.draw(st.integers(0, max_lead), "leading dims")
    names = [f"B{i}" for i in range(n_lead)]
    d = t.draw(dims(*names, "dim", high=high), "sizes")
    return tuple(d[n] for n in names) + (d["dim"],)


def new_module(impl, t, dim, eps=None, dtype=None):
    """impl.RMSNorm(dim[, eps]) moved to the property's device (and dtype): a module is
    built on the CPU, wherever its inputs will live."""
    m = impl.RMSNorm(dim) if eps is None else impl.RMSNorm(dim, eps=eps)
    return m.to(device=t.device, dtype=dtype)


def make_modules(t, dim, eps=None, dtype=None):
    """The user's and the reference module with the same random weights, in `dtype`."""
    mods = [new_module(t.impl, t, dim, eps, dtype), new_module(t.ref, t, dim, eps, dtype)]
    w = t.tensor((dim,), scale=0.5, dtype="float32") + 1.0  # around 1, some negative
    for m in mods:
        m.load_state_dict({"weight": w})  # copied into the module's dtype and device
    return mods


def unit_rms_rows(t, shape, dtype="float32"):
    """Random vectors rescaled so that each has RMS 1 exactly (in float64, then cast)."""
    import torch

    x = t.tensor(shape, dtype="float64")
    x = x / x.pow(2).mean(-1, keepdim=True).sqrt().clamp_min(1e-3)
    return x.to(getattr(torch, dtype))


def call_label(shape, eps):
    return f"RMSNorm({shape[-1]}{'' if eps is None else f', eps={eps}'})(x of shape {shape})"


@prop("weight is an nn.Parameter of ones with shape (dim,), the module's only state")
def weight_is_a_parameter_of_ones(t):
    import torch

    shape = draw_shape(t, max_lead=1)
    dim = shape[-1]
    m = new_module(t.impl, t, dim)
    w = m.weight
    t.check(isinstance(w, torch.Tensor) and tuple(w.shape) == (dim,),
            f"RMSNorm({dim}).weight should be a tensor of shape ({dim},); got {describe(w)}")
    t.check(w.dtype == torch.float32 and bool((w == 1).all()),
            f"RMSNorm({dim}).weight should start as float32 ones; got {describe(w)} "
            f"with values {w.flatten()[:6].tolist()}")
    state = m.state_dict()
    keys = sorted(state) if isinstance(state, dict) else describe(state)
    t.check(keys == ["weight"], f"RMSNorm({dim}).state_dict() should hold exactly ['weight']; it holds {keys} "
                                "(make weight an nn.Parameter; keep eps a plain float attribute)")
    x = t.tensor(shape)
    out = m.grad(x, wrt=(0,), grad_output=t.tensor(shape))
    names = sorted(out["param_grads"])
    t.check(names == ["weight"], f"RMSNorm({dim}) should have exactly one parameter, 'weight'; "
                                 f"named_parameters() gives {names}")


@prop("output equals the reference (random weights, eps, leading dims, tiny to large inputs)",
      dtypes=("float32", "float64"), weight=2)
def matches_reference(t):
    shape = draw_shape(t)
    eps = t.draw(st.sampled_from(EPS_CHOICES), "eps")
    scale = t.draw(st.sampled_from([1e-3, 0.1, 1.0, 30.0]), "input scale")
    m, ref = make_modules(t, shape[-1], eps, dtype=t.dtype)
    x = t.tensor(shape, scale=scale)
    t.assert_close(m(x), ref(x), what=call_label(shape, eps))


@prop("half precision: output equals the reference within fp16/bf16 tolerance, in the input's dtype",
      dtypes=("float16", "bfloat16"))
def matches_reference_half(t):
    shape = draw_shape(t)
    eps = t.draw(st.sampled_from(EPS_CHOICES), "eps")
    # subtle: no tiny inputs here. Where eps matters, fp16/bf16 tolerances cannot tell the
    # eps mistakes apart (the float32/float64 property catches them, and names them clearly)
    scale = t.draw(st.sampled_from([0.5, 1.0, 10.0]), "input scale")
    m, ref = make_modules(t, shape[-1], eps, dtype=t.dtype)
    x = t.tensor(shape, scale=scale)
    t.assert_close(m(x), ref(x), what=call_label(shape, eps) + f" in {t.dtype_name}, module converted with .to()")


@prop("float16 inputs of magnitude ~300 do not overflow (x² is taken in float32)", dtypes=("float16",),
      weight=0.5)
def half_does_not_overflow(t):
    import torch

    shape = draw_shape(t)
    m, ref = make_modules(t, shape[-1], dtype=t.dtype)
    x = t.tensor(shape, scale=60.0, dtype="float32")
    x = (x + 300.0 * torch.where(x < 0, -1.0, 1.0)).to(t.dtype)  # |x| mostly 200..400: x² > 65504
    got = m(x)
    label = call_label(shape, None) + " in float16, |x| ≈ 300"
    if isinstance(got, torch.Tensor):
        t.check(bool(torch.isfinite(got).all()) and bool((got != 0).any()),
                f"{label}: the output has inf/NaN or is all zeros ({got.flatten()[:4].tolist()}...); "
                "x² = 90000 overflows float16 (max 65504): compute the mean square in float32")
    t.assert_close(got, ref(x), what=label)


@prop("an all-zero vector gives zeros, not NaN (eps inside the square root)")
def zero_vector_gives_zeros(t):
    import torch

    shape = draw_shape(t, max_lead=1)
    m, ref = make_modules(t, shape[-1])
    x = t.tensor(shape)
    if x.dim() > 1:
        x[..., 0, :] = 0.0  # one vector (per leading index) is all zeros
    else:
        x.zero_()
    got = m(x)
    if isinstance(got, torch.Tensor) and got.shape == x.shape:
        t.check(not bool(torch.isnan(got).any()),
                f"{call_label(shape, None)} with a zero vector gives NaN: 0 / sqrt(0) without eps")
    t.assert_close(got, ref(x), what=call_label(shape, None) + " with an all-zero vector")


@prop("scale invariance: RMSNorm(c·x) == RMSNorm(x) for c > 0 (inputs with RMS >> eps)")
def scale_invariance(t):
    shape = draw_shape(t)
    c = t.draw(st.sampled_from([0.5, 3.0, 20.0, 300.0]), "c")
    m, _ = make_modules(t, shape[-1])
    x = unit_rms_rows(t, shape) * t.draw(st.sampled_from([1.0, 2.0]), "input RMS")
    t.assert_close(m(x * c), m(x), what=f"{call_label(shape, None)} for c·x with c = {c}, vs for x")


@prop("with weight = 1 (the initial weight) every output vector has RMS 1")
def unit_rms_output(t):
    import torch

    shape = draw_shape(t)
    m = new_module(t.impl, t, shape[-1])
    x = unit_rms_rows(t, shape) * t.draw(st.sampled_from([0.5, 1.0, 4.0]), "input RMS")
    y = m(x)
    t.check(isinstance(y, torch.Tensor) and y.shape == x.shape,
            f"{call_label(shape, None)} should have shape {tuple(shape)}; got {describe(y)}")
    rms = y.double().pow(2).mean(-1).sqrt()
    worst = (rms - 1).abs().max().item()
    t.check(worst < 1e-3, f"{call_label(shape, None)} (fresh module, weight = 1): output RMS per vector "
                          f"should be 1; got {rms.flatten()[:6].tolist()}")


@prop("vectors are normalised independently: changing one vector leaves the others' outputs unchanged")
def vectors_are_independent(t):
    import torch

    d = t.draw(dims("B", "L", "dim", high=6), "sizes")
    shape = (d["B"], d["L"], d["dim"])
    m, _ = make_modules(t, d["dim"])
    x = t.tensor(shape)
    b = t.draw(st.integers(0, d["B"] - 1), "b")
    i = t.draw(st.integers(0, d["L"] - 1), "i")
    x2 = x.clone()
    x2[b, i] = x2[b, i] * 5.0 + 1.0
    others = torch.ones(d["B"], d["L"], dtype=torch.bool)
    others[b, i] = False
    y1, y2 = m(x), m(x2)
    t.assert_close(y2[others.to(y2.device)], y1[others.to(y1.device)],
                   what=f"outputs of the other vectors after changing x[{b}, {i}] (x of shape {shape})")


@prop("gradients with respect to x and to weight equal the reference's", dtypes=("float32", "float64"))
def gradients_match_reference(t):
    shape = draw_shape(t)
    eps = t.draw(st.sampled_from(EPS_CHOICES), "eps")
    scale = t.draw(st.sampled_from([0.3, 1.0, 5.0]), "input scale")
    m, ref = make_modules(t, shape[-1], eps, dtype=t.dtype)
    x = t.tensor(shape, scale=scale)
    g = t.tensor(shape)
    got = m.grad(x, wrt=(0,), grad_output=g)
    want = ref.grad(x, wrt=(0,), grad_output=g)
    label = call_label(shape, eps)
    t.assert_close(got["output"], want["output"], what=label)
    # Looser than compare.py's per-dtype atol, on purpose: the input gradient is a difference
    # of two terms of similar size (w·g/rms - x·Σ(w·g·x)/(dim·rms³)), so a small entry carries
    # the rounding error of the large terms; and float64 inputs may be computed in float32
    # (the prompt allows LLaMA's x.float()). So: absolute error up to 1e-5 of the largest
    # gradient entry (float32-level precision), still orders of magnitude below any mistake.
    for what, g_got, g_want in (
            (f"gradient of weight for {label} (does the weight take part in autograd?)",
             got["param_grads"].get("weight"), want["param_grads"]["weight"]),
            (f"gradient of x for {label}", got["input_grads"][0], want["input_grads"][0])):
        atol = 1e-5 * max(1.0, g_want.abs().max().item())
        t.assert_close(g_got, g_want, what=what, atol=atol)
