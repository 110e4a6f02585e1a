"""Properties of flash_attention.

Leading dims, Lq, Lk, D and Dv are drawn separately and differ; block_q and block_k are
drawn on their own, from 1 up to past the lengths, so blocks of 1, blocks that do not
divide the length (a short last block) and one block covering everything all occur. The
counterexample lists the tiles (`key blocks`, `query blocks`).
"""
from hypothesis import strategies as st

from grader.props import prop
from grader.strategies import dims

SCALES = (1.0, 2.0, 0.5)  # std of q and k entries: scores q·k/√D have std scale², so the max moves


def tiles(L: int, block: int) -> str:
    """'[0:3] [3:6] [6:7]': the blocks a length is cut into (for the counterexample)."""
    return " ".join(f"[{s}:{min(s + block, L)}]" for s in range(0, L, block))


def draw_block(t, L: int, label: str) -> int:
    """1, 2, 3, or anything up to past L (one block, or a short last block)."""
    return t.draw(st.one_of(st.integers(1, 3), st.integers(1, L + 2)), label)


def draw_case(t, max_lead=2, high=9, dtype=None, **ranges):
    """q, k, v with distinct sizes; returns (q, k, v, sizes)."""
    n_lead = t.draw(st.integers(0, max_lead), "leading dims")
    names = [f"B{i}" for i in range(n_lead)]
    d = t.draw(dims(*names, "Lq", "Lk", "D", "Dv", high=high, **ranges), "sizes")
    lead = tuple(d[n] for n in names)
    scale = t.draw(st.sampled_from(SCALES), "scale of q and k")
    q = t.tensor(lead + (d["Lq"], d["D"]), scale=scale, dtype=dtype, label="q")
    k = t.tensor(lead + (d["Lk"], d["D"]), scale=scale, dtype=dtype, label="k")
    v = t.tensor(lead + (d["Lk"], d["Dv"]), dtype=dtype, label="v")
    return q, k, v, d


def draw_blocks(t, Lq: int, Lk: int, draw=draw_block):
    bq, bk = draw(t, Lq, "block_q"), draw(t, Lk, "block_k")
    t.note("query blocks", tiles(Lq, bq))
    t.note("key blocks", tiles(Lk, bk))
    return bq, bk


def call(impl, q, k, v, bq, bk, causal):
    return impl.flash_attention(q, k, v, block_q=bq, block_k=bk, causal=causal)


def label(q, k, v, bq, bk, causal) -> str:
    return (f"flash_attention(q {tuple(q.shape)}, k {tuple(k.shape)}, v {tuple(v.shape)}, "
            f"block_q={bq}, block_k={bk}, causal={causal})")


def compare_with_reference(t, q, k, v, bq, bk, causal):
    got = call(t.impl, q, k, v, bq, bk, causal)
    t.assert_close(got, call(t.ref, q, k, v, bq, bk, causal), what=label(q, k, v, bq, bk, causal))
    return got


@prop("output equals plain attention for any block sizes (1, sizes that do not divide L, larger than L), "
      "causal or not", dtypes=("float32", "float64"), weight=2)
def matches_reference(t):
    q, k, v, d = draw_case(t)
    bq, bk = draw_blocks(t, d["Lq"], d["Lk"])
    causal = t.draw(st.booleans(), "causal")
    compare_with_reference(t, q, k, v, bq, bk, causal)


@prop("the block sizes do not change the result: any tiling equals one tile (block_q=Lq, block_k=Lk)")
def block_sizes_do_not_change_the_result(t):
    q, k, v, d = draw_case(t)
    Lq, Lk = d["Lq"], d["Lk"]
    bq, bk = draw_blocks(t, Lq, Lk, draw=lambda t, L, name: t.draw(st.integers(1, max(1, L - 1)), name))
    causal = t.draw(st.booleans(), "causal")
    one_tile = call(t.impl, q, k, v, Lq, Lk, causal)
    tiled = call(t.impl, q, k, v, bq, bk, causal)
    t.assert_close(tiled, one_tile, what=(
        f"{label(q, k, v, bq, bk, causal)} vs. your own output with one tile (block_q={Lq}, block_k={Lk}), "
        f"which is plain softmax attention. Key blocks {tiles(Lk, bk)}: whenever a later block raises a "
        f"row's running max, l and acc must both be multiplied by exp(m_old - m_new)"))
    t.assert_close(one_tile, call(t.ref, q, k, v, Lq, Lk, causal), what=label(q, k, v, Lq, Lk, causal))


@prop("causal: the queries are the last Lq positions (query i sees keys j <= i + Lk - Lq)")
def causal_queries_are_the_last_positions(t):
    n_lead = t.draw(st.integers(0, 1), "leading dims")
    d = t.draw(dims(*(["B"] if n_lead else []), "L", "D", "Dv", high=9, L=(2, 9)), "sizes")
    lead = (d["B"],) if n_lead else ()
    L = d["L"]
    b = t.draw(st.integers(1, L), "Lk = b: keys 0..b-1")
    a = t.draw(st.integers(0, b - 1), "queries a..b-1 (Lq = b - a)")
    scale = t.draw(st.sampled_from(SCALES), "scale of q and k")
    q = t.tensor(lead + (L, d["D"]), scale=scale, label="q")
    k = t.tensor(lead + (L, d["D"]), scale=scale, label="k")
    v = t.tensor(lead + (L, d["Dv"]), label="v")
    bq, bk = draw_blocks(t, L, L)
    whole = call(t.impl, q, k, v, bq, bk, True)                            # (..., L, Dv)
    part = call(t.impl, q[..., a:b, :], k[..., :b, :], v[..., :b, :], bq, bk, True)
    t.assert_close(part, whole[..., a:b, :], what=(
        f"causal=True with queries {a}..{b - 1} (Lq={b - a}) over keys 0..{b - 1} (Lk={b}) vs. rows "
        f"{a}..{b - 1} of your causal self-attention over all {L} positions (block_q={bq}, block_k={bk}): "
        f"query i is at position i + (Lk - Lq) = i + {a} and sees keys j <= i + {a}"))
    t.assert_close(whole, call(t.ref, q, k, v, bq, bk, True), what=label(q, k, v, bq, bk, True))


@prop("causal with Lq > Lk: the first Lq - Lk queries see no key and return zeros (not NaN)",
      dtypes=("float32", "float16"))
def causal_rows_without_keys_are_zero(t):
    import torch

    n_lead = t.draw(st.integers(0, 2), "leading dims")
    names = [f"B{i}" for i in range(n_lead)]
    d = t.draw(dims(*names, "Lk", "D", "Dv", high=7, Lk=(1, 5)), "sizes")
    Lk = d["Lk"]
    Lq = Lk + t.draw(st.integers(1, 4), "Lq - Lk (queries with no key)")
    lead = tuple(d[n] for n in names)
    q = t.tensor(lead + (Lq, d["D"]), label="q")
    k = t.tensor(lead + (Lk, d["D"]), label="k")
    v = t.tensor(lead + (Lk, d["Dv"]), label="v")
    bq, bk = draw_blocks(t, Lq, Lk)
    got = call(t.impl, q, k, v, bq, bk, True)
    empty = Lq - Lk
    if isinstance(got, torch.Tensor) and tuple(got.shape) == lead + (Lq, d["Dv"]):
        rows = got[..., :empty, :]
        t.check(not bool(torch.isnan(rows).any()) and bool((rows == 0).all()), (
            f"{label(q, k, v, bq, bk, True)}: queries 0..{empty - 1} sit before key 0 and may attend to no "
            f"key, so their rows must be zeros; got {rows.flatten()[:6].tolist()} (a row whose m is still "
            f"-inf gives exp(-inf - (-inf)) = NaN and l = 0)"))
    t.assert_close(got, call(t.ref, q, k, v, bq, bk, True), what=label(q, k, v, bq, bk, True))


@prop("half precision: float16/bfloat16 equal the reference within tolerance (float32 accumulation)",
      dtypes=("float16", "bfloat16"))
def matches_reference_half(t):
    q, k, v, d = draw_case(t)
    bq, bk = draw_blocks(t, d["Lq"], d["Lk"])
    causal = t.draw(st.booleans(), "causal")
    compare_with_reference(t, q, k, v, bq, bk, causal)


@prop("long rows in tiny blocks: Lq, Lk up to 40 in blocks of 1 to 4", weight=0.5)
def long_rows_tiny_blocks(t):
    q, k, v, d = draw_case(t, max_lead=1, high=6, Lq=(10, 40), Lk=(10, 40))
    bq, bk = draw_blocks(t, d["Lq"], d["Lk"], draw=lambda t, L, name: t.draw(st.integers(1, 4), name))
    causal = t.draw(st.booleans(), "causal")
    compare_with_reference(t, q, k, v, bq, bk, causal)


@prop("the defaults work: flash_attention(q, k, v) is non-causal attention (lengths 10 to 40)", weight=0.5)
def defaults(t):
    q, k, v, d = draw_case(t, max_lead=1, high=6, Lq=(10, 40), Lk=(10, 40))
    t.note("query blocks", tiles(d["Lq"], 16))
    t.note("key blocks", tiles(d["Lk"], 16))
    got = t.impl.flash_attention(q, k, v)
    t.assert_close(got, t.ref.flash_attention(q, k, v), what=(
        f"flash_attention(q {tuple(q.shape)}, k {tuple(k.shape)}, v {tuple(v.shape)}) with the defaults"))


@prop("scores in the thousands do not overflow: the running max is subtracted before exp() (float64)",
      dtypes=("float64",))
def large_scores_do_not_overflow(t):
    q, k, v, d = draw_case(t)
    bq, bk = draw_blocks(t, d["Lq"], d["Lk"])
    causal = t.draw(st.booleans(), "causal")
    # the same vector added to every key shifts each query's scores by one constant (q·w/√D,
    # here with std 2000): softmax does not change, exp() of a raw score overflows
    u = t.tensor((d["D"],), dtype="float64")
    w = u / u.norm().clamp_min(1e-6) * 2000.0 * d["D"] ** 0.5
    shifted = k + w.to(k.dtype)
    t.note("q·w/√D (the shift of each query's scores)", [round(x, 1) for x in
                                                         (q @ w / d["D"] ** 0.5).flatten()[:6].tolist()])
    got = call(t.impl, q, shifted, v, bq, bk, causal)
    t.assert_close(got, call(t.ref, q, shifted, v, bq, bk, causal), what=(
        f"{label(q, shifted, v, bq, bk, causal)} with a vector of norm {w.norm().item():.0f} added to every key"))


@prop("with V = identity the output rows are the attention weights: >= 0, sum to 1, 0 on masked keys")
def weights_are_a_distribution(t):
    import torch

    q, k, _, d = draw_case(t, max_lead=1)
    Lq, Lk = d["Lq"], d["Lk"]
    bq, bk = draw_blocks(t, Lq, Lk)
    causal = t.draw(st.booleans(), "causal")
    eye = torch.eye(Lk).expand(*k.shape[:-2], Lk, Lk).contiguous()
    w = call(t.impl, q, k, eye, bq, bk, causal)                           # (..., Lq, Lk)
    what = label(q, k, eye, bq, bk, causal)
    t.assert_close(getattr(w, "shape", None), torch.Size(tuple(q.shape[:-1]) + (Lk,)), what=f"{what}: shape")
    allowed = torch.ones(Lq, Lk, dtype=torch.bool, device=w.device)
    if causal:
        allowed = allowed.tril(diagonal=Lk - Lq)
    t.check(bool((w >= -1e-6).all()), f"{what}: some weights are negative (min {w.min().item():.3g})")
    leak = w.masked_fill(allowed, 0.0).abs().max().item() if causal else 0.0
    t.check(leak <= 1e-6, f"{what}: weight {leak:.3g} on a key the causal mask hides (key j > i + {Lk - Lq})")
    sums = w.sum(-1)                                                       # (..., Lq)
    want = allowed.any(-1).to(sums.dtype).expand_as(sums)
    t.check(bool(((sums - want).abs() < 1e-4).all()), (
        f"{what}: each row of weights should sum to 1 (0 for a causal row with no key); row sums are "
        f"{[round(x, 4) for x in sums.flatten()[:6].tolist()]}. A sum above or below 1 means l does not "
        f"match acc: both must be rescaled by exp(m_old - m_new), and the output is acc / l"))
