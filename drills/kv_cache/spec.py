"""Properties of KVCache and decode_step.

Batch, sequence length, d_model, head_dim and max_len are drawn separately and differ;
n_kv_heads and the GQA group size are drawn from shapes that tell repeat from
repeat_interleave. Every decoding property splits the sequence into chunks (a prompt, then
single tokens, or random chunk sizes) and compares with the reference, chunk by chunk or
against one causal pass over the whole sequence.
"""
from hypothesis import strategies as st

from grader.compare import describe
from grader.failures import UserRaised
from grader.props import prop
from grader.strategies import dims

GQA = ((1, 1), (2, 1), (1, 2), (2, 2), (3, 2), (2, 3), (1, 3))  # (n_kv_heads, query heads per kv head)
TRUE_GQA = ((2, 2), (3, 2), (2, 3))                              # where repeat != repeat_interleave


def draw_model(t, gqa=GQA, min_len=2):
    """Sizes, weights at the usual init scale (activations ~1, softmax not saturated), x, theta."""
    d = t.draw(dims("B", "L", "d_model", B=(1, 3), L=(min_len, 7), d_model=(3, 8)), "sizes")
    taken = set(d.values())
    hd = t.draw(st.sampled_from([v for v in (2, 4, 6) if v not in taken] or [4]), "head_dim (even)")
    n_kv, group = t.draw(st.sampled_from(gqa), "(n_kv_heads, group)")
    m = dict(d, hd=hd, n_kv=n_kv, n_heads=n_kv * group)
    m["max_len"] = d["L"] + t.draw(st.integers(0, 3), "max_len - L")
    D, H = d["d_model"], m["n_heads"]
    m["w"] = (t.tensor((H * hd, D), scale=D ** -0.5, label="wq"),
              t.tensor((n_kv * hd, D), scale=D ** -0.5, label="wk"),
              t.tensor((n_kv * hd, D), scale=D ** -0.5, label="wv"),
              t.tensor((D, H * hd), scale=(H * hd) ** -0.5, label="wo"))
    m["x"] = t.tensor((d["B"], d["L"], D), label="x")
    theta = t.draw(st.sampled_from((10000.0, 10.0, 500000.0)), "theta")
    m["kw"] = {"theta": theta} if theta != 10000.0 or t.draw(st.booleans(), "pass theta=10000") else {}
    return m


def new_cache(impl, t, m, max_len=None):
    return impl.KVCache(m["B"], m["n_kv"], max_len or m["max_len"], m["hd"], dtype=t.dtype, device=t.device)


def step(impl, m, cache, a, b):
    """decode_step on tokens a..b-1 of x."""
    return impl.decode_step(m["x"][:, a:b], cache, *m["w"], m["n_heads"], **m["kw"])


def draw_chunks(t, L, label="chunk sizes"):
    cuts = sorted(t.draw(st.sets(st.integers(1, L - 1), max_size=L - 1), "cut points") if L > 1 else [])
    bounds = [0] + cuts + [L]
    t.draws.append((label, [b - a for a, b in zip(bounds, bounds[1:])]))
    return list(zip(bounds, bounds[1:]))


def full_forward(t, m):
    """The reference's one causal pass over the whole sequence: (B, L, d_model)."""
    return step(t.ref, m, new_cache(t.ref, t, m, m["L"]), 0, m["L"])


def buffer(t, cache, name):
    """cache.k or cache.v, checked to be a 4-d tensor; None (and the property fails) otherwise."""
    import torch

    buf = getattr(cache, name)
    if not (isinstance(buf, torch.Tensor) and buf.dim() == 4):
        t.check(False, f"cache.{name} should be a tensor of shape (batch, n_kv_heads, max_len, head_dim); "
                       f"it is {describe(buf)}")
        return None
    return buf


def span(a, b):
    return f"position {a}" if b == a + 1 else f"positions {a}..{b - 1}"


@prop("update() writes each chunk after the previous ones and returns everything cached so far",
      dtypes=("float32", "bfloat16"), weight=0.75)
def update_returns_everything_cached(t):
    import torch

    d = t.draw(dims("B", "Hkv", "hd", "max_len", B=(1, 3), Hkv=(1, 4), hd=(1, 6), max_len=(2, 9)), "sizes")
    n = t.draw(st.integers(1, d["max_len"]), "positions written")
    B, Hkv, hd, max_len = d["B"], d["Hkv"], d["hd"], d["max_len"]
    full = (B, Hkv, max_len, hd)
    cache = t.impl.KVCache(B, Hkv, max_len, hd, dtype=t.dtype, device=t.device)
    t.assert_close(cache.length, 0, what="cache.length of a new cache")
    ks, vs = [], []
    for i, (a, b) in enumerate(draw_chunks(t, n)):
        ks.append(t.tensor((B, Hkv, b - a, hd), label="k_new"))
        vs.append(t.tensor((B, Hkv, b - a, hd), label="v_new"))
        got = cache.update(ks[-1], vs[-1])
        so_far = (torch.cat(ks, dim=2), torch.cat(vs, dim=2))
        t.assert_close(got, so_far, what=f"update #{i + 1} (T={b - a}, {span(a, b)}) returned (k_all, v_all)")
        t.assert_close(cache.length, b, what=f"cache.length after update #{i + 1}")
    for name, want in zip("kv", so_far):
        buf = buffer(t, cache, name)
        if buf is None:
            return
        t.assert_close(tuple(buf.shape), full, what=f"cache.{name}.shape (the buffer keeps its full size)")
        t.assert_close(buf.dtype, t.dtype, what=f"cache.{name}.dtype (the dtype given to KVCache)")
        t.assert_close(buf[:, :, :n], want, what=f"cache.{name}[:, :, :length]")


@prop("writing past max_len raises ValueError and leaves the cache as it was", weight=0.75)
def overflow_raises_value_error(t):
    import torch

    d = t.draw(dims("B", "Hkv", "hd", "max_len", B=(1, 3), Hkv=(1, 4), hd=(1, 6), max_len=(3, 8)), "sizes")
    B, Hkv, hd, max_len = d["B"], d["Hkv"], d["hd"], d["max_len"]
    room = t.draw(st.sampled_from((0, 1, 2)), "free positions left")
    extra = t.draw(st.sampled_from((1, 2, 3)), "positions beyond max_len")
    filled, T = max_len - room, room + extra
    cache = t.impl.KVCache(B, Hkv, max_len, hd, dtype=t.dtype, device=t.device)
    ks = []
    for a, b in draw_chunks(t, filled, "chunk sizes before"):
        ks.append(t.tensor((B, Hkv, b - a, hd), label="k_new"))
        cache.update(ks[-1], ks[-1] * 2)
    raised = None
    try:
        cache.update(t.tensor((B, Hkv, T, hd), label="k_over"), t.tensor((B, Hkv, T, hd), label="v_over"))
    except UserRaised as e:
        raised = e
    where = f"update() with T={T} on a cache holding {filled} of max_len={max_len} positions"
    if raised is None:
        t.check(False, f"{where} returned normally; it must raise ValueError and write nothing")
        return
    t.check(raised.exc_type == "ValueError", f"{where}: expected ValueError, but {raised.message}")
    t.assert_close(cache.length, filled, what="cache.length after the refused update")
    buf = buffer(t, cache, "k")
    if buf is not None:
        t.assert_close(buf[:, :, :filled], torch.cat(ks, dim=2), what="cache.k[:, :, :length] after the refused update")


@prop("decode_step equals the reference chunk by chunk, and the cache holds the rotated keys",
      dtypes=("float32", "float64"))
def decode_matches_reference(t):
    m = draw_model(t)
    mine, ref = new_cache(t.impl, t, m), new_cache(t.ref, t, m)
    for i, (a, b) in enumerate(draw_chunks(t, m["L"])):
        got, want = step(t.impl, m, mine, a, b), step(t.ref, m, ref, a, b)
        t.assert_close(got, want, what=f"decode_step output for chunk #{i + 1} ({span(a, b)})")
    L = m["L"]
    t.assert_close(mine.length, L, what="cache.length after decoding every chunk")
    for name, what in (("k", "cache.k[:, :, :length] (keys after RoPE)"), ("v", "cache.v[:, :, :length]")):
        buf = buffer(t, mine, name)
        if buf is None:
            return
        t.assert_close(buf[:, :, :L], getattr(ref, name)[:, :, :L], what=what)


@prop("prefill, then one token at a time, equals one causal pass over the whole sequence")
def token_by_token_equals_full_forward(t):
    m = draw_model(t)
    P = t.draw(st.integers(1, m["L"] - 1), "prefill length P")
    full = full_forward(t, m)
    cache = new_cache(t.impl, t, m)
    for a, b in [(0, P)] + [(j, j + 1) for j in range(P, m["L"])]:
        t.assert_close(step(t.impl, m, cache, a, b), full[:, a:b],
                       what=f"decode_step on {span(a, b)} (after {a} cached) vs the same rows of one full causal pass")


@prop("any split into chunks equals one causal pass over the whole sequence", weight=0.75)
def any_chunking_equals_full_forward(t):
    m = draw_model(t)
    full = full_forward(t, m)
    cache = new_cache(t.impl, t, m)
    for a, b in draw_chunks(t, m["L"]):
        t.assert_close(step(t.impl, m, cache, a, b), full[:, a:b],
                       what=f"decode_step on {span(a, b)} (after {a} cached) vs the same rows of one full causal pass")


@prop("inside a multi-token chunk a query ignores the chunk's later tokens (causal, offset by the cache)",
      weight=0.75)
def chunk_is_causal(t):
    import torch

    m = draw_model(t, min_len=3)
    L = m["L"]
    P = t.draw(st.integers(0, L - 2), "positions cached before the chunk")
    j = t.draw(st.integers(P, L - 2), "last position kept")
    x = m["x"]
    changed = x.clone()
    changed[:, j + 1:] = t.tensor(changed[:, j + 1:].shape, label="new later tokens")

    def chunk_output(xs):
        cache = new_cache(t.impl, t, m)
        mm = dict(m, x=xs)
        if P:
            step(t.impl, mm, cache, 0, P)
        return step(t.impl, mm, cache, P, L)  # (B, L - P, d_model)

    ref_cache = new_cache(t.ref, t, m)
    if P:
        step(t.ref, m, ref_cache, 0, P)
    want = step(t.ref, m, ref_cache, P, L)
    before, after = chunk_output(x), chunk_output(changed)
    for got in (before, after):
        if not (isinstance(got, torch.Tensor) and got.shape == want.shape):
            t.assert_close(got, want, what=f"decode_step output ({span(P, L)})")  # says what is wrong
            return
    t.assert_close(after[:, : j + 1 - P], before[:, : j + 1 - P],
                   what=f"chunk outputs at positions {P}..{j} after changing the tokens at {j + 1}..{L - 1}")
    t.assert_close(before, want, what=f"decode_step output ({span(P, L)})")


@prop("grouped-query attention: query head h reads kv head h // (n_heads / n_kv_heads)", weight=0.5)
def gqa_heads_share_kv_heads_in_groups(t):
    m = draw_model(t, gqa=TRUE_GQA)
    mine, ref = new_cache(t.impl, t, m), new_cache(t.ref, t, m)
    for i, (a, b) in enumerate(draw_chunks(t, m["L"])):
        t.assert_close(step(t.impl, m, mine, a, b), step(t.ref, m, ref, a, b),
                       what=f"decode_step output for chunk #{i + 1} ({span(a, b)}), n_heads={m['n_heads']}, "
                            f"n_kv_heads={m['n_kv']}")
