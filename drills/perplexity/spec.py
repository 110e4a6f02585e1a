"""Properties of perplexity, bits_per_token and bits_per_char.

B, T and V are drawn separately and differ, so a shift or a mean over the wrong axis
shows. Padding is right or left padding by row lengths (a row may be all padding), with
pad_id a valid token id; no real target equals it. Per-row NLLs differ, so a mean of
per-sequence perplexities differs from the token-weighted one (Jensen).
"""
import math

from hypothesis import strategies as st

from grader.props import prop
from grader.strategies import dims

N_CHARS_PER_TOKEN = (4.0, 1.0, 2.7)


def draw_case(t, scale=None):
    """logits (B, T, V), targets (B, T) with padding, pad_id, n_chars."""
    import torch

    d = t.draw(dims("B", "T", "V", high=7, V=(2, 9)), "sizes")
    B, T, V = d["B"], d["T"], d["V"]
    if scale is None:
        scale = t.draw(st.sampled_from((1.0, 3.0, 0.5)), "logit scale")
    logits = t.tensor((B, T, V), scale=scale, label="logits")
    pad_id = t.draw(st.integers(0, V - 1), "pad_id")
    g = torch.Generator().manual_seed(t.seed())
    # real targets: uniform over the V - 1 ids other than pad_id
    targets = torch.randint(0, V - 1, (B, T), generator=g)
    targets = targets + (targets >= pad_id).long()
    lengths = torch.randint(0, T + 1, (B,), generator=g)
    lengths[0] = max(1, int(lengths[0]))  # at least one real target in the batch
    pos = torch.arange(T)
    if t.draw(st.booleans(), "left padding"):
        pad = pos[None, :] < (T - lengths[:, None])
    else:
        pad = pos[None, :] >= lengths[:, None]
    targets = targets.masked_fill(pad, pad_id)
    n_tokens = int((~pad).sum())
    n_chars = max(1, round(n_tokens * t.draw(st.sampled_from(N_CHARS_PER_TOKEN), "characters per token")))
    return logits, targets, pad_id, n_chars


def text(name, logits, targets, pad_id, n_chars=None):
    n = int((targets != pad_id).sum())
    extra = f", n_chars={n_chars}" if n_chars is not None else ""
    return (f"{name}(logits of shape {tuple(logits.shape)}, targets of shape {tuple(targets.shape)}, "
            f"pad_id={pad_id}{extra}) with {n} of {targets.numel()} targets not padding")


def scalar(t, got, what):
    """A 0-dim tensor, as a float (checked, so the message is clear)."""
    import torch

    from grader.compare import describe

    t.check(isinstance(got, torch.Tensor) and got.dim() == 0,
            f"{what} should return a 0-dim tensor; it returned {describe(got)}")
    return float(got)


@prop("perplexity equals the reference (random shapes, left or right padding)", dtypes=("float32", "float64"),
      weight=1.5)
def perplexity_matches_reference(t):
    logits, targets, pad_id, _ = draw_case(t)
    t.assert_close(t.impl.perplexity(logits, targets, pad_id), t.ref.perplexity(logits, targets, pad_id),
                   what=text("perplexity", logits, targets, pad_id))


@prop("bits_per_token equals the reference", dtypes=("float32", "float64"))
def bits_per_token_matches_reference(t):
    logits, targets, pad_id, _ = draw_case(t)
    t.assert_close(t.impl.bits_per_token(logits, targets, pad_id), t.ref.bits_per_token(logits, targets, pad_id),
                   what=text("bits_per_token", logits, targets, pad_id))


@prop("bits_per_char equals the reference", dtypes=("float32", "float64"))
def bits_per_char_matches_reference(t):
    logits, targets, pad_id, n_chars = draw_case(t)
    t.assert_close(t.impl.bits_per_char(logits, targets, pad_id, n_chars),
                   t.ref.bits_per_char(logits, targets, pad_id, n_chars),
                   what=text("bits_per_char", logits, targets, pad_id, n_chars))


@prop("changing the logits at pad positions changes nothing (all three functions)")
def padding_has_no_effect(t):
    import torch

    logits, targets, pad_id, n_chars = draw_case(t)
    pad = (targets == pad_id).unsqueeze(-1)                      # (B, T, 1)
    other = torch.where(pad, t.tensor(tuple(logits.shape), scale=5.0) + 3.0, logits)
    for name, extra in (("perplexity", ()), ("bits_per_token", ()), ("bits_per_char", (n_chars,))):
        fn = getattr(t.impl, name)
        before = fn(logits, targets, pad_id, *extra)
        after = fn(other, targets, pad_id, *extra)
        t.assert_close(after, before, what=text(name, logits, targets, pad_id, *extra)
                       + ": after changing the logits at pad positions, vs before")


@prop("uniform logits (any constant) give perplexity V and log2(V) bits per token", dtypes=("float32", "float64"))
def uniform_logits_give_v(t):
    import torch

    logits, targets, pad_id, n_chars = draw_case(t)
    B, T, V = logits.shape
    level = t.tensor((B, T, 1), scale=3.0)                       # one constant per position
    uniform = level.expand(B, T, V).contiguous()
    n = int((targets != pad_id).sum())

    def const(x):
        return torch.tensor(x, dtype=t.dtype, device=t.device)

    t.assert_close(t.impl.perplexity(uniform, targets, pad_id), const(float(V)),
                   what=text("perplexity", uniform, targets, pad_id) + " for uniform logits (should be V)")
    t.assert_close(t.impl.bits_per_token(uniform, targets, pad_id), const(math.log2(V)),
                   what=text("bits_per_token", uniform, targets, pad_id) + " for uniform logits (should be log2 V)")
    t.assert_close(t.impl.bits_per_char(uniform, targets, pad_id, n_chars), const(n * math.log2(V) / n_chars),
                   what=text("bits_per_char", uniform, targets, pad_id, n_chars)
                   + " for uniform logits (should be N·log2(V)/n_chars)")


@prop("bits_per_token = log2(perplexity) and bits_per_char = bits_per_token · N / n_chars", dtypes=("float64",))
def units_are_consistent(t):
    # relative 1e-6, not 1e-9: computing a float64 input in float32 inside (the .float() idiom) is correct code
    logits, targets, pad_id, n_chars = draw_case(t)
    n = int((targets != pad_id).sum())
    ppl = scalar(t, t.impl.perplexity(logits, targets, pad_id), "perplexity")
    bpt = scalar(t, t.impl.bits_per_token(logits, targets, pad_id), "bits_per_token")
    bpc = scalar(t, t.impl.bits_per_char(logits, targets, pad_id, n_chars), "bits_per_char")
    where = text("bits_per_token", logits, targets, pad_id)
    t.check(ppl > 0 and abs(bpt - math.log2(ppl)) <= 1e-6 * max(1.0, abs(bpt)),
            f"{where} = {bpt!r}, but log2(perplexity) = log2({ppl!r}) = "
            f"{math.log2(ppl) if ppl > 0 else float('nan')!r}: both must be the same mean NLL, in bits")
    t.check(abs(bpc - bpt * n / n_chars) <= 1e-6 * max(1.0, abs(bpc)),
            f"bits_per_char(..., n_chars={n_chars}) = {bpc!r}, but bits_per_token · N / n_chars = "
            f"{bpt!r} · {n} / {n_chars} = {bpt * n / n_chars!r}: the total bits are the same either way")


@prop("logits around ±1e4 with some target probabilities below float range: finite and correct",
      dtypes=("float32", "float64"))
def huge_logits_are_stable(t):
    import torch

    logits, targets, pad_id, n_chars = draw_case(t)
    B, T, V = logits.shape
    g = torch.Generator().manual_seed(t.seed())
    sign = torch.where(torch.rand(B, T, 1, generator=g) < 0.5, -1.0, 1.0)
    offset = sign * (1.0 + torch.rand(B, T, 1, generator=g)) * 1e4   # one offset per position
    # the first real target gets a probability of about exp(-drop): 0 in the dtype, but its NLL is finite
    drop = 150.0 if t.dtype == torch.float32 else 800.0
    real = (targets != pad_id).flatten().nonzero()[0].item()
    b, p = divmod(real, T)
    lowered = logits.double().clone()
    lowered[b, p, targets[b, p]] -= drop
    n = int((targets != pad_id).sum())
    big = (lowered + offset.double()).to(t.dtype)
    # a float32 logit of 1e4 is only known to its spacing (~1e-3): a correct x - logsumexp(x) is off by that
    # much per token, so each mean NLL gets 8·eps·max|x| (same rule as softmax_xent's huge-logit property)
    nll_atol = 8 * torch.finfo(t.dtype).eps * float(big.abs().max())
    cases = (("perplexity", (), dict(rtol=nll_atol + 1e-5, atol=0.0)),
             ("bits_per_token", (), dict(atol=nll_atol / math.log(2))),
             ("bits_per_char", (n_chars,), dict(atol=nll_atol * n / n_chars / math.log(2))))
    for name, extra, tol in cases:
        what = text(name, big, targets, pad_id, *extra) + f" with logits ~1e4 and one target logit {drop:g} below"
        got = getattr(t.impl, name)(big, targets, pad_id, *extra)
        value = scalar(t, got, name)
        if name != "perplexity" or math.isfinite(float(t.ref.perplexity(big, targets, pad_id))):
            t.check(math.isfinite(value), f"{what} is {value} (not finite): exp(-{drop:g}) underflows to 0 in "
                                          f"{t.dtype_name}, so log(softmax(x)) gives -inf; use log_softmax")
        t.assert_close(got, getattr(t.ref, name)(big, targets, pad_id, *extra), what=what, **tol)
