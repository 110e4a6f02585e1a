"""Properties of the attention masks.

Sizes are drawn separately and differ (B != L, Lq < Lk often), so a transposed mask, a
causal triangle anchored at the wrong corner or a padding mask on the wrong axis cannot
hide. The last property uses the masks the way a model does (a small softmax attention
computed here, in float64) and checks what they are for: outputs at real tokens ignore
padding and the future.
"""
import math

from hypothesis import strategies as st

from grader.compare import describe
from grader.props import prop
from grader.strategies import bool_mask, dims, int_tensor


# -- helpers ---------------------------------------------------------------------------
def draw_lengths(t, batch, max_len):
    import torch

    lengths = t.draw(st.lists(st.integers(0, max_len), min_size=batch, max_size=batch), "lengths")
    return torch.tensor(lengths, dtype=torch.long)


def device_kwargs(t):
    """causal_mask gets `device=` (always on a GPU; on the CPU sometimes left to its default)."""
    if t.device != "cpu" or t.draw(st.booleans(), "pass device="):
        return {"device": t.device}
    return {}


def is_bool_tensor(value) -> bool:
    import torch

    return isinstance(value, torch.Tensor) and value.dtype == torch.bool


def expect_bool(t, value, call: str) -> None:
    t.check(is_bool_tensor(value),
            f"{call} should return a torch.bool tensor (True = may attend); it returned {describe(value)}")


def expect_shape(t, value, shape, call: str, why: str = "") -> None:
    import torch

    got = tuple(value.shape) if isinstance(value, torch.Tensor) else describe(value)
    t.check(got == tuple(shape), f"{call} should have shape {tuple(shape)}{why}; got {got}")


def padding_of(lengths, max_len, left):
    """Independent of the user's code: (B, L) bool, True at real tokens."""
    import torch

    pos = torch.arange(max_len)
    start = (max_len - lengths)[:, None] if left else torch.zeros_like(lengths)[:, None]
    return (pos >= start) & (pos < start + lengths[:, None])


def attend(q, k, v, mask):
    """softmax(QKᵀ/√D)V with a boolean mask; rows with no allowed key give zeros."""
    import torch

    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])  # (B, H, Lq, Lk)
    scores = scores.masked_fill(~mask, float("-inf"))
    return torch.softmax(scores, dim=-1).nan_to_num(0.0) @ v


# -- padding masks ---------------------------------------------------------------------
@prop("padding_mask_from_lengths is True at the real tokens (right and left padding)", dtypes=("int64",))
def lengths_mask_matches_reference(t):
    d = t.draw(dims("B", "L", high=8), "sizes")
    lengths = draw_lengths(t, d["B"], d["L"])
    left = t.draw(st.sampled_from([None, False, True]), "left_padded")
    kw = {} if left is None else {"left_padded": left}
    call = f"padding_mask_from_lengths(lengths, {d['L']}" + ("" if left is None else f", left_padded={left}") + ")"
    got = t.impl.padding_mask_from_lengths(lengths, d["L"], **kw)
    expect_bool(t, got, call)
    want = t.ref.padding_mask_from_lengths(lengths, d["L"], **kw)
    t.assert_close(got, want, what=call)


@prop("left padding mirrors right padding: each row has lengths[b] True values, at the end", dtypes=("int64",))
def left_padding_mirrors_right(t):
    import torch

    d = t.draw(dims("B", "L", high=8), "sizes")
    lengths = draw_lengths(t, d["B"], d["L"])
    right = t.impl.padding_mask_from_lengths(lengths, d["L"])
    left = t.impl.padding_mask_from_lengths(lengths, d["L"], left_padded=True)
    expect_bool(t, right, "padding_mask_from_lengths(..., left_padded=False)")
    expect_bool(t, left, "padding_mask_from_lengths(..., left_padded=True)")
    expect_shape(t, left, (d["B"], d["L"]), "the left-padded mask")
    counts = left.sum(-1).cpu()
    t.check(torch.equal(counts, lengths),
            f"row b of the left-padded mask should have lengths[b] True values: lengths {lengths.tolist()}, "
            f"True values per row {counts.tolist()}")
    t.assert_close(left, right.flip(-1), what="the left-padded mask vs the right-padded mask flipped left to right")


@prop("padding_mask_from_ids is True exactly where ids != pad_id", dtypes=("int64",))
def ids_mask_matches_reference(t):
    import torch

    d = t.draw(dims("B", "L", high=8), "sizes")
    lengths = draw_lengths(t, d["B"], d["L"])
    left = t.draw(st.booleans(), "left padded ids")
    pad_id = t.draw(st.integers(0, 5), "pad_id")
    ids = int_tensor((d["B"], d["L"]), 0, 50, t.seed())  # real tokens may be pad_id too, rarely
    ids = torch.where(padding_of(lengths, d["L"], left), ids, torch.full_like(ids, pad_id))
    got = t.impl.padding_mask_from_ids(ids, pad_id)
    expect_bool(t, got, f"padding_mask_from_ids(ids, {pad_id})")
    t.assert_close(got, t.ref.padding_mask_from_ids(ids, pad_id), what=f"padding_mask_from_ids(ids, {pad_id})")


# -- causal masks ----------------------------------------------------------------------
def draw_lq_lk(t, strict=False):
    lk = t.draw(st.integers(2 if strict else 1, 8), "lk")
    lq = t.draw(st.integers(1, lk - 1 if strict else lk), "lq")
    return lq, lk


@prop("causal_mask(lq, lk) equals the reference (queries are the last lq of lk positions)", dtypes=("int64",))
def causal_matches_reference(t):
    lq, lk = draw_lq_lk(t)
    kw = device_kwargs(t)
    if lq == lk and t.draw(st.booleans(), "leave lk out"):
        call = f"causal_mask({lq})"
        got = t.impl.causal_mask(lq, **kw)
    else:
        call = f"causal_mask({lq}, {lk})"
        got = t.impl.causal_mask(lq, lk, **kw)
    expect_bool(t, got, call)
    t.assert_close(got, t.ref.causal_mask(lq, lk, device=t.device), what=call)


@prop("row i of causal_mask(lq, lk) allows keys 0 .. i + (lk - lq): itself and the past, never the future",
      dtypes=("int64",))
def causal_rows_see_the_past_and_themselves(t):
    lq, lk = draw_lq_lk(t)
    got = t.impl.causal_mask(lq, lk, **device_kwargs(t))
    call = f"causal_mask({lq}, {lk})"
    expect_bool(t, got, call)
    expect_shape(t, got, (lq, lk), call)
    offset = lk - lq
    for i in range(lq):
        seen = got[i].nonzero().flatten().tolist()
        want = list(range(i + offset + 1))
        t.check(seen == want,
                f"{call}: query {i} is the token at position {i + offset} of {lk}, so it should see keys "
                f"0..{i + offset} (the {offset} cached keys, the {i} new tokens before it, and itself); "
                f"it sees {seen}")


@prop("causal_mask(lq, lk) is the last lq rows of causal_mask(lk, lk) (decoding with a cache)", dtypes=("int64",))
def causal_is_last_rows_of_full_mask(t):
    lq, lk = draw_lq_lk(t, strict=True)
    kw = device_kwargs(t)
    part = t.impl.causal_mask(lq, lk, **kw)
    full = t.impl.causal_mask(lk, lk, **kw)
    expect_bool(t, part, f"causal_mask({lq}, {lk})")
    expect_bool(t, full, f"causal_mask({lk}, {lk})")
    expect_shape(t, full, (lk, lk), f"causal_mask({lk}, {lk})")
    t.assert_close(part, full[-lq:], what=f"causal_mask({lq}, {lk}) vs the last {lq} rows of causal_mask({lk}, {lk})")


@prop("with more queries than keys (lq > lk) the same rule holds: the first lq - lk rows allow no key",
      dtypes=("int64",), weight=0.5)
def more_queries_than_keys(t):
    lk = t.draw(st.integers(1, 6), "lk")
    lq = lk + t.draw(st.integers(1, 3), "lq - lk")
    call = f"causal_mask({lq}, {lk})"
    got = t.impl.causal_mask(lq, lk, **device_kwargs(t))
    expect_bool(t, got, call)
    expect_shape(t, got, (lq, lk), call, f" (query i may see key j iff j <= i + ({lk} - {lq}))")
    empty = (~got[: lq - lk].any(-1)).all().item()
    t.check(empty, f"{call}: the first {lq - lk} rows should be all False (j <= i - {lq - lk} holds for no key); "
                   f"got {got[: lq - lk].int().tolist()}")
    t.assert_close(got, t.ref.causal_mask(lq, lk, device=t.device), what=call)


# -- the combined mask -----------------------------------------------------------------
def draw_key_padding(t, batch, lk):
    """Key padding from lengths (left or right) or an arbitrary pattern."""
    kind = t.draw(st.sampled_from(["right", "left", "random"]), "key padding")
    if kind == "random":
        return bool_mask((batch, lk), t.seed())
    return padding_of(draw_lengths(t, batch, lk), lk, kind == "left")


@prop("attention_mask equals the reference: (B, 1, Lq, Lk), padding on keys, causal when asked", dtypes=("int64",))
def attention_mask_matches_reference(t):
    d = t.draw(dims("B", "Lk", high=8), "sizes")
    causal = t.draw(st.sampled_from([None, True, False]), "causal")
    lq = t.draw(st.one_of(st.none(), st.integers(1, d["Lk"] if causal in (None, True) else 8)), "lq")
    kp = draw_key_padding(t, d["B"], d["Lk"])
    kw = {} if causal is None else {"causal": causal}
    if lq is not None:
        kw["lq"] = lq
    call = "attention_mask(key_padding" + "".join(f", {k}={v}" for k, v in kw.items()) + ")"
    got = t.impl.attention_mask(kp, **kw)
    shape = (d["B"], 1, d["Lk"] if lq is None else lq, d["Lk"])
    expect_bool(t, got, call)
    expect_shape(t, got, shape, call, " = (B, 1, Lq, Lk), so that dim 1 broadcasts over the heads of (B, H, Lq, Lk)")
    t.assert_close(got, t.ref.attention_mask(kp, **kw), what=call)


@prop("attention_mask is key_padding[b, j] AND causal_mask(Lq, Lk)[i, j], broadcast to (B, 1, Lq, Lk)",
      dtypes=("int64",))
def attention_mask_is_and_of_parts(t):
    d = t.draw(dims("B", "Lk", high=8), "sizes")
    lq = t.draw(st.integers(1, d["Lk"]), "lq")
    kp = bool_mask((d["B"], d["Lk"]), t.seed())
    got = t.impl.attention_mask(kp, lq=lq)
    causal = t.impl.causal_mask(lq, d["Lk"], device=t.device)
    expect_bool(t, got, f"attention_mask(key_padding, lq={lq})")
    expect_bool(t, causal, f"causal_mask({lq}, {d['Lk']})")
    expect_shape(t, causal, (lq, d["Lk"]), f"causal_mask({lq}, {d['Lk']})")
    want = (kp.to(causal.device)[:, None, None, :] & causal[None, None]).expand(d["B"], 1, lq, d["Lk"])
    expect_shape(t, got, tuple(want.shape), f"attention_mask(key_padding, lq={lq})", " = (B, 1, Lq, Lk)")
    t.assert_close(got, want, what=f"attention_mask(key_padding, lq={lq}) vs "
                                   f"key_padding[:, None, None, :] & causal_mask({lq}, {d['Lk']})")


@prop("in attention, outputs at real tokens ignore padded tokens and later tokens (left and right padding)",
      dtypes=("int64",))
def attention_ignores_padding_and_future(t):
    import torch

    d = t.draw(dims("B", "H", "L", "D", high=6), "sizes")
    lengths = draw_lengths(t, d["B"], d["L"])
    left = t.draw(st.booleans(), "left_padded")
    later = t.draw(st.integers(0, d["L"] - 1), "changed slot p")
    kp = t.impl.padding_mask_from_lengths(lengths, d["L"], left_padded=left)
    expect_bool(t, kp, f"padding_mask_from_lengths(lengths, {d['L']}, left_padded={left})")
    mask = t.impl.attention_mask(kp)
    call = "attention_mask(padding_mask_from_lengths(...))"
    expect_bool(t, mask, call)
    expect_shape(t, mask, (d["B"], 1, d["L"], d["L"]), call, " = (B, 1, L, L)")

    shape = (d["B"], d["H"], d["L"], d["D"])
    q, k, v = (t.tensor(shape, dtype="float64").to(mask.device) for _ in range(3))
    real = padding_of(lengths, d["L"], left).to(mask.device)  # (B, L)
    pad = ~real[:, None, :, None]  # (B, 1, L, 1)
    out = attend(q, k, v, mask).transpose(1, 2)  # (B, L, H, D)

    # 1. garbage in every padded slot: real tokens must not notice
    q2, k2, v2 = (torch.where(pad, x * 7.0 + 3.0, x) for x in (q, k, v))
    out2 = attend(q2, k2, v2, mask).transpose(1, 2)
    t.assert_close(out2[real], out[real], what=f"outputs at real tokens after changing the padded tokens "
                                               f"({'left' if left else 'right'} padding, lengths {lengths.tolist()})")

    # 2. a change at slot p: real tokens before p must not notice (causal)
    at_p = torch.zeros_like(pad)
    at_p[:, :, later] = True
    q3, k3, v3 = (torch.where(at_p, x * -5.0 + 1.0, x) for x in (q, k, v))
    out3 = attend(q3, k3, v3, mask).transpose(1, 2)
    before = real & (torch.arange(d["L"], device=mask.device) < later)
    t.assert_close(out3[before], out[before], what=f"outputs at real tokens before slot {later} after changing "
                                                   f"the token in slot {later} (a causal mask hides the future)")

    # 3. what real tokens see is what the reference mask shows them
    want = attend(q, k, v, t.ref.attention_mask(real)).transpose(1, 2)
    t.assert_close(out[real], want[real], what="attention outputs at real tokens vs the same attention with the "
                                               "reference mask")
