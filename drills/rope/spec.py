"""Properties of apply_rope.

Leading dims, L and D are drawn separately and differ, positions come in every form the
prompt allows (0..L-1, shifted, random with repeats, per-sequence (B, 1, L), full
x.shape[:-1]), and theta is drawn too. Half precision is checked at positions in the
thousands, where an angle computed in fp16/bf16 is off by radians.
"""
from hypothesis import strategies as st

from grader.compare import describe
from grader.props import prop
from grader.strategies import dims, int_tensor

THETAS = (10000.0, 500000.0, 100.0)          # LLaMA 2, LLaMA 3, and a small base
OTHER_THETAS = (500000.0, 100.0, 1e6, 10.0)  # never the default
POSITION_KINDS = ("0..L-1", "shifted 0..L-1", "random (repeats, any order)",
                  "per sequence (B, 1, L)", "one per token (x.shape[:-1])")


def draw_x(t, max_lead=2, min_d=2, scale=None):
    """x of shape (*lead, L, D) with all sizes distinct; D even."""
    n_lead = t.draw(st.integers(0, max_lead), "leading dims")
    names = [f"B{i}" for i in range(n_lead)]
    d = t.draw(dims(*names, "L", high=7), "sizes")
    taken = set(d.values())
    choices = [v for v in (2, 4, 6, 8) if v >= min_d and v not in taken] or [v for v in (4, 6, 8) if v >= min_d]
    D = t.draw(st.sampled_from(choices), "D (even)")
    lead = tuple(d[n] for n in names)
    if scale is None:
        scale = t.draw(st.sampled_from((1.0, 0.5, 2.0)), "scale of x")
    return t.tensor(lead + (d["L"], D), scale=scale, label="x"), lead, d["L"], D


def draw_positions(t, lead, L, high=64, kinds=POSITION_KINDS):
    import torch

    kind = t.draw(st.sampled_from([k for k in kinds if lead or not k.startswith("per sequence")]), "positions")
    dtype = t.draw(st.sampled_from((torch.int64, torch.int32)), "positions dtype")
    if kind == "0..L-1":
        pos = torch.arange(L)
    elif kind == "shifted 0..L-1":
        pos = torch.arange(L) + t.draw(st.integers(1, high), "start")
    elif kind == "random (repeats, any order)":
        pos = int_tensor((L,), 0, high, t.seed())
    elif kind == "per sequence (B, 1, L)":
        starts = int_tensor((lead[0],) + (1,) * len(lead), 0, high, t.seed())  # (B, 1.., 1)
        pos = starts + torch.arange(L)  # (B, 1, .., L): each sequence has its own offset
    else:
        pos = int_tensor(lead + (L,), 0, high, t.seed())
    return pos.to(dtype)


def has_shape(t, got, shape, what="output"):
    """True when `got` is a tensor of `shape`; otherwise the property fails with a clear message."""
    import torch

    ok = isinstance(got, torch.Tensor) and tuple(got.shape) == tuple(shape)
    t.check(ok, f"{what}: expected a tensor of x's shape {tuple(shape)}, got {describe(got)}")
    return ok


def call(impl, x, pos, theta, interleaved, t):
    """Call apply_rope, sometimes leaving theta / interleaved to their defaults."""
    kw = {}
    if theta != 10000.0 or t.draw(st.booleans(), "pass theta=10000 explicitly"):
        kw["theta"] = theta
    if interleaved or t.draw(st.booleans(), "pass interleaved=False explicitly"):
        kw["interleaved"] = interleaved
    return impl.apply_rope(x, pos, **kw), kw


@prop("rotate-half (interleaved=False) equals the reference: pairs (x[i], x[i + D/2])",
      dtypes=("float32", "float64"))
def matches_reference_rotate_half(t):
    x, lead, L, D = draw_x(t)
    pos = draw_positions(t, lead, L)
    theta = t.draw(st.sampled_from(THETAS), "theta")
    got, kw = call(t.impl, x, pos, theta, False, t)
    t.assert_close(got, t.ref.apply_rope(x, pos, **kw))


@prop("interleaved=True equals the reference: pairs (x[2i], x[2i + 1])", dtypes=("float32", "float64"))
def matches_reference_interleaved(t):
    x, lead, L, D = draw_x(t)
    pos = draw_positions(t, lead, L)
    theta = t.draw(st.sampled_from(THETAS), "theta")
    got, kw = call(t.impl, x, pos, theta, True, t)
    t.assert_close(got, t.ref.apply_rope(x, pos, **kw))


@prop("half precision at positions in the thousands: angles must be computed in float32",
      dtypes=("float16", "bfloat16"))
def half_precision_large_positions(t):
    from grader.compare import tolerance

    x, lead, L, D = draw_x(t, max_lead=1, scale=1.0)
    kinds = ("shifted 0..L-1", "random (repeats, any order)", "per sequence (B, 1, L)")
    pos = draw_positions(t, lead, L, high=4096, kinds=kinds)
    interleaved = t.draw(st.booleans(), "interleaved")
    got = t.impl.apply_rope(x, pos, interleaved=interleaved)
    want = t.ref.apply_rope(x, pos, interleaved=interleaved)
    # A correct fp16/bf16 implementation may multiply in x's dtype (HF LLaMA does): it rounds
    # cos/sin, each product and the sum, so its error scales with the size of the pair it
    # rotates, not with the result (a*cos - b*sin can cancel to ~0). Scale atol by max |x|.
    # Angles computed in half precision are off by up to radians and still fail by far.
    rtol, atol = tolerance(x.dtype)
    t.assert_close(got, want, rtol=rtol, atol=atol * max(1.0, x.abs().max().item()),
                   what=f"output at positions up to {int(pos.max())} ({str(x.dtype).removeprefix('torch.')})")


@prop("the base theta is honoured (theta = 500000 as in LLaMA 3, 100, 1e6, 10)")
def theta_is_honoured(t):
    x, lead, L, D = draw_x(t, min_d=4)
    pos = draw_positions(t, lead, L)
    theta = t.draw(st.sampled_from(OTHER_THETAS), "theta")
    interleaved = t.draw(st.booleans(), "interleaved")
    got = t.impl.apply_rope(x, pos, theta=theta, interleaved=interleaved)
    want = t.ref.apply_rope(x, pos, theta=theta, interleaved=interleaved)
    t.assert_close(got, want, what=f"output for theta={theta:g}")


@prop("position 0 is the identity: every token at position 0 comes back unchanged", weight=0.5)
def position_zero_is_identity(t):
    import torch

    x, lead, L, D = draw_x(t)
    shape = t.draw(st.sampled_from(("(L,)", "x.shape[:-1]")), "positions shape")
    pos = torch.zeros((L,) if shape == "(L,)" else lead + (L,), dtype=torch.int64)
    interleaved = t.draw(st.booleans(), "interleaved")
    got = t.impl.apply_rope(x, pos, interleaved=interleaved)
    t.assert_close(got, x, what="output for positions all 0 (should equal x)")


@prop("each token is rotated by its own position: alone or inside the sequence, the same result")
def token_rotated_by_its_own_position(t):
    x, lead, L, D = draw_x(t)
    pos = draw_positions(t, lead, L)
    j = t.draw(st.integers(0, L - 1), "token index j")
    interleaved = t.draw(st.booleans(), "interleaved")
    whole = t.impl.apply_rope(x, pos, interleaved=interleaved)
    alone = t.impl.apply_rope(x[..., j:j + 1, :], pos[..., j:j + 1], interleaved=interleaved)
    if not has_shape(t, whole, x.shape):
        return
    t.assert_close(alone, whole[..., j:j + 1, :],
                   what=f"token {j} (position {pos[..., j].flatten()[0].item()}) rotated alone vs. in the sequence")
    t.assert_close(whole, t.ref.apply_rope(x, pos, interleaved=interleaved))


@prop("a rotation: the norm of every pair, and so of every vector, is preserved", dtypes=("float64",))
def rotation_preserves_norms(t):
    x, lead, L, D = draw_x(t)
    pos = draw_positions(t, lead, L, high=4096)
    interleaved = t.draw(st.booleans(), "interleaved")
    got = t.impl.apply_rope(x, pos, interleaved=interleaved)
    if not has_shape(t, got, x.shape):
        return

    def pair_norms(y):
        a, b = (y[..., 0::2], y[..., 1::2]) if interleaved else (y[..., : D // 2], y[..., D // 2:])
        return (a * a + b * b).sqrt()

    t.assert_close(pair_norms(got), pair_norms(x),
                   what=f"norm of each {'(x[2i], x[2i+1])' if interleaved else '(x[i], x[i+D/2])'} pair")
    t.assert_close(got.norm(dim=-1), x.norm(dim=-1), what="norm of each vector")


@prop("q·k after RoPE depends only on m - n: shifting every position by s changes no dot product",
      dtypes=("float64",))
def scores_depend_on_relative_position(t):
    x, lead, L, D = draw_x(t, max_lead=1)
    k = t.tensor(x.shape, label="k")
    m = draw_positions(t, lead, L, high=512)
    n = draw_positions(t, lead, L, high=512)
    s = t.draw(st.integers(1, 5000), "shift s")
    interleaved = t.draw(st.booleans(), "interleaved")

    def scores(pm, pn):
        q_rot = t.impl.apply_rope(x, pm, interleaved=interleaved)
        k_rot = t.impl.apply_rope(k, pn, interleaved=interleaved)
        if not (has_shape(t, q_rot, x.shape) and has_shape(t, k_rot, k.shape)):
            return None
        return q_rot @ k_rot.transpose(-2, -1)  # (..., L, L): q_m · k_n

    before = scores(m, n)
    after = scores(m + s, n + s) if before is not None else None
    if after is not None:
        t.assert_close(after, before, what=f"q·k scores with every position shifted by {s}")
