"""Properties of sinusoidal_positions, alibi_slopes and alibi_bias.

Sizes are drawn separately and differ (n_positions != d_model, lq < lk most of the time),
so a transposed table, sin/cos in the wrong channels, a wrong exponent or a causal bias
anchored at the wrong corner cannot hide. The slope rule for head counts that are not a
power of two is checked against the user's own power-of-two slopes as well as against
the reference.
"""
from hypothesis import strategies as st

from grader.compare import describe
from grader.props import prop


# -- helpers ---------------------------------------------------------------------------
def device_kwargs(t):
    """`device=` always on a GPU; on the CPU sometimes left to its default (None = CPU)."""
    if t.device != "cpu" or t.draw(st.booleans(), "pass device="):
        return {"device": t.device}
    return {}


def expect_float32(t, value, call, shape):
    import torch

    t.check(isinstance(value, torch.Tensor) and value.dtype == torch.float32,
            f"{call} should return a float32 tensor; it returned {describe(value)}")
    t.check(tuple(value.shape) == tuple(shape), f"{call} should have shape {tuple(shape)}; got {tuple(value.shape)}")


def draw_table_sizes(t, max_n=48, min_n=1):
    n = t.draw(st.integers(min_n, max_n), "n_positions")
    d = t.draw(st.sampled_from([v for v in range(2, 17, 2) if v != n]), "d_model (even)")
    return n, d


def assert_same_infinities(t, got, want, what):
    """-inf must be exactly where the reference has it.

    Needed on top of t.assert_close: its tolerance atol + rtol·|want| is infinite where
    `want` is -inf, so a finite value there would slip through.
    """
    import torch

    g, w = got.cpu(), want.cpu()
    wrong = (torch.isneginf(g) != torch.isneginf(w)) | (torch.isposinf(g) != torch.isposinf(w))
    if wrong.any():
        idx = tuple(wrong.nonzero()[0].tolist())
        t.check(False, f"{what}: {int(wrong.sum())} of {w.numel()} values differ in where -inf is; first at index "
                       f"{idx}: expected {w[idx].item()!r}, got {g[idx].item()!r}")


def draw_lq_lk(t):
    lk = t.draw(st.integers(1, 8), "lk")
    lq = t.draw(st.integers(1, lk), "lq")
    return lq, lk


# -- sinusoidal positions ---------------------------------------------------------------
@prop("sinusoidal_positions equals the reference (interleaved sin/cos, exponent 2i/d)", weight=1.5)
def sinusoidal_matches_reference(t):
    n, d = draw_table_sizes(t)
    kw = device_kwargs(t)
    call = f"sinusoidal_positions({n}, {d})"
    got = t.impl.sinusoidal_positions(n, d, **kw)
    expect_float32(t, got, call, (n, d))
    t.assert_close(got, t.ref.sinusoidal_positions(n, d, device=t.device), what=call)


@prop("position 0 is sin 0 = 0 in the even channels and cos 0 = 1 in the odd ones", weight=0.5)
def position_zero_is_zero_one(t):
    import torch

    n, d = draw_table_sizes(t, max_n=8)
    got = t.impl.sinusoidal_positions(n, d, **device_kwargs(t))
    call = f"sinusoidal_positions({n}, {d})"
    expect_float32(t, got, call, (n, d))
    want = torch.tensor([0.0, 1.0] * (d // 2), device=got.device)
    t.assert_close(got[0], want, what=f"row 0 (position 0) of {call}")


@prop("each (sin, cos) pair has unit norm at every position", weight=0.5)
def pairs_have_unit_norm(t):
    n, d = draw_table_sizes(t)
    got = t.impl.sinusoidal_positions(n, d, **device_kwargs(t))
    call = f"sinusoidal_positions({n}, {d})"
    expect_float32(t, got, call, (n, d))
    norms = got.double().reshape(n, d // 2, 2).pow(2).sum(-1)  # (n, d/2)
    bad = (norms - 1).abs() > 1e-5
    if bad.any():
        pos, i = bad.nonzero()[0].tolist()
        t.check(False, f"{call}: channels {2 * i} and {2 * i + 1} at position {pos} should be the sin and cos "
                       f"of one angle (squares summing to 1); their squares sum to {norms[pos, i].item():.6g}")


@prop("PE(pos + k) is PE(pos) with each pair rotated by k / 10000^(2i/d) (relative positions are linear)")
def shift_is_a_rotation_per_pair(t):
    import torch

    n, d = draw_table_sizes(t, min_n=2)
    got = t.impl.sinusoidal_positions(n, d, **device_kwargs(t))
    call = f"sinusoidal_positions({n}, {d})"
    expect_float32(t, got, call, (n, d))
    pos = t.draw(st.integers(0, n - 2), "pos")
    k = t.draw(st.integers(1, n - 1 - pos), "k")
    pe = got.double().cpu().reshape(n, d // 2, 2)
    s, c = pe[pos, :, 0], pe[pos, :, 1]                                            # (d/2,)
    theta = k / 10000.0 ** (torch.arange(0, d, 2, dtype=torch.float64) / d)        # (d/2,)
    # sin(a + θ) = sin a cos θ + cos a sin θ;  cos(a + θ) = cos a cos θ - sin a sin θ
    want = torch.stack((s * theta.cos() + c * theta.sin(), c * theta.cos() - s * theta.sin()), -1).flatten()
    # float32 table: each entry is within ~4e-6 of the truth for these positions, the rotated
    # value combines two of them, so 5e-5 leaves room while any wrong frequency is off by O(1)
    t.assert_close(got.double().cpu()[pos + k], want, atol=5e-5, rtol=0,
                   what=f"row {pos + k} of {call} vs row {pos} rotated pair by pair by {k}·10000^(-2i/{d})")


# -- ALiBi slopes -----------------------------------------------------------------------
@prop("alibi_slopes equals the reference, for any number of heads")
def slopes_match_reference(t):
    h = t.draw(st.integers(1, 40), "n_heads")
    call = f"alibi_slopes({h})"
    got = t.impl.alibi_slopes(h, **device_kwargs(t))
    expect_float32(t, got, call, (h,))
    t.assert_close(got, t.ref.alibi_slopes(h, device=t.device), what=call)


@prop("for a power of two n, the slopes are 2^(-8k/n), k = 1..n (8 heads: 1/2, 1/4, ..., 1/256)", weight=0.5)
def power_of_two_slopes_are_geometric(t):
    import torch

    h = t.draw(st.sampled_from([8, 1, 2, 4, 16, 32, 64]), "n_heads (a power of two)")
    call = f"alibi_slopes({h})"
    got = t.impl.alibi_slopes(h, **device_kwargs(t))
    expect_float32(t, got, call, (h,))
    want = torch.tensor([2.0 ** (-8.0 * k / h) for k in range(1, h + 1)], dtype=torch.float32, device=got.device)
    t.assert_close(got, want, what=f"{call} vs 2^(-8k/{h})")


@prop("for other n, the slopes of m = the largest power of two below n come first, then every other "
      "slope of 2m heads (the paper's rule)", weight=1.0)
def non_power_of_two_follows_the_paper(t):
    h = t.draw(st.sampled_from([6, 12, 3, 5, 7, 10, 20, 24, 40]), "n_heads (not a power of two)")
    m = 1 << (h.bit_length() - 1)
    kw = device_kwargs(t)
    got = t.impl.alibi_slopes(h, **kw)
    expect_float32(t, got, f"alibi_slopes({h})", (h,))
    t.assert_close(got, t.ref.alibi_slopes(h, device=t.device), what=f"alibi_slopes({h})")
    own_m = t.impl.alibi_slopes(m, **kw)
    own_2m = t.impl.alibi_slopes(2 * m, **kw)
    t.assert_close(got[:m], own_m, what=f"the first {m} slopes of alibi_slopes({h}) vs your alibi_slopes({m})")
    t.assert_close(got[m:], own_2m[0::2][: h - m],
                   what=f"the last {h - m} slopes of alibi_slopes({h}) vs alibi_slopes({2 * m})[0::2][:{h - m}]")


# -- ALiBi bias -------------------------------------------------------------------------
@prop("alibi_bias equals the reference (queries are the last lq of lk positions, -inf for the future)",
      weight=1.5)
def bias_matches_reference(t):
    h = t.draw(st.integers(1, 6), "n_heads")
    lq, lk = draw_lq_lk(t)
    call = f"alibi_bias({h}, {lq}, {lk})"
    got = t.impl.alibi_bias(h, lq, lk, **device_kwargs(t))
    expect_float32(t, got, call, (h, lq, lk))
    want = t.ref.alibi_bias(h, lq, lk, device=t.device)
    t.assert_close(got, want, what=call)
    assert_same_infinities(t, got, want, call)


@prop("the bias is 0 at a query's own position, falls by slope_h per step into the past, and is -inf "
      "for future keys")
def bias_is_zero_on_the_diagonal_and_linear(t):
    import torch

    h = t.draw(st.integers(1, 6), "n_heads")
    lq, lk = draw_lq_lk(t)
    call = f"alibi_bias({h}, {lq}, {lk})"
    got = t.impl.alibi_bias(h, lq, lk, **device_kwargs(t))
    expect_float32(t, got, call, (h, lq, lk))
    got = got.double().cpu()
    slopes = t.ref.alibi_slopes(h, device=t.device).double().cpu()
    off = lk - lq
    for i in range(lq):
        here = i + off  # the query's own position
        t.check(got[:, i, here].eq(0).all().item(),
                f"{call}: query {i} is at position {here}, so bias[:, {i}, {here}] (distance 0) should be 0; "
                f"it is {got[:, i, here].tolist()}")
        future = got[:, i, here + 1:]
        t.check(bool(torch.isneginf(future).all()),
                f"{call}: query {i} (position {here}) must not see keys {here + 1}..{lk - 1}: their bias should be "
                f"-inf; got {future[0].tolist()} for head 0")
        if here > 0:
            steps = got[:, i, 1:here + 1] - got[:, i, :here]  # (H, here): bias[j] - bias[j - 1]
            ok = ((steps - slopes[:, None]).abs() <= 1e-6 + 1e-5 * slopes[:, None]).all()
            t.check(bool(ok), f"{call}: along query {i}'s row, each step back into the past should lower the bias by "
                              f"slope_h ({slopes.tolist()[:4]}...); head 0's row is {got[0, i].tolist()}")


@prop("alibi_bias(h, lq, lk) is the last lq rows of alibi_bias(h, lk, lk) (decoding with a cache)")
def bias_is_last_rows_of_full_bias(t):
    h = t.draw(st.integers(1, 6), "n_heads")
    lk = t.draw(st.integers(2, 8), "lk")
    lq = t.draw(st.integers(1, lk - 1), "lq")
    kw = device_kwargs(t)
    part = t.impl.alibi_bias(h, lq, lk, **kw)
    full = t.impl.alibi_bias(h, lk, lk, **kw)
    expect_float32(t, part, f"alibi_bias({h}, {lq}, {lk})", (h, lq, lk))
    expect_float32(t, full, f"alibi_bias({h}, {lk}, {lk})", (h, lk, lk))
    what = f"alibi_bias({h}, {lq}, {lk}) vs the last {lq} rows of alibi_bias({h}, {lk}, {lk})"
    t.assert_close(part, full[:, -lq:], what=what)
    assert_same_infinities(t, part, full[:, -lq:], what)
