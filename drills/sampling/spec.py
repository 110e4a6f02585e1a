"""Properties of filter_logits and sample.

B and V are drawn separately and differ. Top-p thresholds are drawn away from every
cumulative probability of the rows (by at least 1e-4), so the set that reaches p is
never decided by a rounding error. Sampling is checked statistically: many rows repeat
a few distinct logit rows, each token's count must lie within 6 binomial standard
deviations (plus 3 for rare tokens) of its expected count; a correct implementation
fails such a check with probability < 1e-7 per example. The generator is a
torch.Generator seeded per example; it crosses to the user's process by value.

Order: the sampling properties come first. A filter that keeps too many tokens (a
finite value where the reference has -inf) is caught by the explicit -inf check of the
filter property, but only sampled tokens show it to the mistake diagnosis (it compares
values with per-dtype tolerances, which are infinite at an expected -inf).
"""

from hypothesis import strategies as st

from grader.compare import describe
from grader.props import prop
from grader.strategies import dims

TEMPERATURES = (1.0, 0.5, 0.7, 1.5, 2.0)
MARGIN = 1e-4  # top_p stays this far from every cumulative probability of every row


# -- helpers ---------------------------------------------------------------------------
def generator(t, seed=None):
    import torch

    return torch.Generator(device=t.device).manual_seed(t.seed() if seed is None else seed)


def spec_filter(logits, temperature, top_k, top_p):
    """An independent float64 filter: (scores, kept mask) following the prompt's rules."""
    import torch

    scores = logits.double().cpu() / temperature
    keep = torch.ones_like(scores, dtype=torch.bool)
    V = scores.shape[-1]
    if top_k is not None and top_k < V:
        kth = scores.sort(dim=-1, descending=True).values[:, top_k - 1:top_k]
        keep &= scores >= kth
    if top_p is not None and top_p < 1.0:
        probs = torch.softmax(scores.masked_fill(~keep, float("-inf")), dim=-1)
        for b in range(scores.shape[0]):
            mass = 0.0
            for v in probs[b].argsort(descending=True).tolist():
                if mass >= top_p:
                    keep[b, v] = False
                mass += probs[b, v].item()
    return scores, keep


def cumulative_masses(logits, temperature, top_k):
    """Every cumulative probability (sorted, after top-k) of every row: the top-p boundaries."""
    import torch

    scores, keep = spec_filter(logits, temperature, top_k, None)
    probs = torch.softmax(scores.masked_fill(~keep, float("-inf")), dim=-1)
    return probs.sort(dim=-1, descending=True).values.cumsum(-1).flatten().tolist()


def safe_top_p(p, masses):
    """Move p up until it is MARGIN away from every cumulative mass (None if it passes 1)."""
    for _ in range(200):
        if all(abs(p - m) >= MARGIN for m in masses):
            return p
        p += 2.5 * MARGIN
    return None


def renormalised_top_p(t, logits, temperature, top_k):
    """A top_p that top-k's renormalisation decides, or None if no such p is clear of the boundaries.

    In some row b, the mass of the tokens ranked above its i-th most likely token (i < k) is
    below p on the full distribution but reaches p on the distribution left after top-k
    (renormalised, each probability divided by the kept mass S < 1): so the token is kept
    or dropped depending on which distribution top-p is measured on. p stays MARGIN away
    from every cumulative probability after top-k (the rule's boundaries) in every row.
    """
    import torch

    scores, keep = spec_filter(logits, temperature, top_k, None)
    probs = torch.softmax(scores, dim=-1).sort(dim=-1, descending=True).values      # full distribution
    before = probs.cumsum(-1) - probs                                               # mass ranked above
    kept_mass = torch.softmax(scores, dim=-1).masked_fill(~keep, 0).sum(-1)         # (B,) S of each row
    n_kept = keep.sum(-1)
    masses = cumulative_masses(logits, temperature, top_k)
    candidates = [(b, i) for b in range(logits.shape[0]) for i in range(1, int(n_kept[b]))]
    if not candidates:
        return None
    first = t.draw(st.integers(0, len(candidates) - 1), "row and rank where top-k's renormalisation decides")
    where = t.draw(st.floats(0.1, 0.9), "top_p's place in the free part of that interval")
    for b, i in candidates[first:] + candidates[:first]:
        lo, hi = before[b, i].item(), before[b, i].item() / kept_mass[b].item()
        # the free stretches of (lo, hi), MARGIN away from its ends and from every boundary
        cuts = sorted([lo] + [m for m in masses if lo < m < hi] + [hi])
        gaps = [(a + MARGIN, c - MARGIN) for a, c in zip(cuts, cuts[1:]) if c - a > 2 * MARGIN]
        if gaps:
            a, c = max(gaps, key=lambda g: g[1] - g[0])
            t.note("that row and rank", (b, i))
            return a + where * (c - a)
    return None


def draw_filters(t, logits, k_range=True, p_range=True, temperatures=TEMPERATURES, force_p=False):
    """temperature, top_k, top_p and the kwargs to pass (defaults sometimes left out)."""
    V = logits.shape[-1]
    temperature = t.draw(st.sampled_from(temperatures), "temperature")
    top_k = t.draw(st.one_of(st.none(), st.integers(1, V + 1)), "top_k") if k_range else None
    top_p = None
    if p_range and (force_p or t.draw(st.booleans(), "use top_p")):
        p = t.draw(st.floats(0.05, 0.98), "top_p")
        top_p = safe_top_p(p, cumulative_masses(logits, temperature, top_k))
    kw = {}
    if temperature != 1.0 or t.draw(st.booleans(), "pass temperature=1.0"):
        kw["temperature"] = temperature
    if top_k is not None:
        kw["top_k"] = top_k
    if top_p is not None:
        kw["top_p"] = top_p
    return temperature, top_k, top_p, kw


def call_text(name, kw):
    args = "".join(f", {k}={v!r}" for k, v in kw.items())
    return f"{name}(logits{', generator' if name == 'sample' else ''}{args})"


def expect_ids(t, got, call, B):
    import torch

    t.check(isinstance(got, torch.Tensor) and got.dtype == torch.int64 and tuple(got.shape) == (B,),
            f"{call} should return an int64 tensor of shape ({B},); it returned {describe(got)}")


def assert_same_exclusions(t, got, want, what):
    """-inf exactly where the reference has it (t.assert_close alone lets a finite value
    pass where -inf is expected: its tolerance there is infinite)."""
    import torch

    g, w = torch.isneginf(got.cpu()), torch.isneginf(want.cpu())
    if (g != w).any():
        b, v = (g != w).nonzero()[0].tolist()
        kept, want_kept = (~g[b]).nonzero().flatten().tolist(), (~w[b]).nonzero().flatten().tolist()
        t.check(False, f"{what}: row {b} keeps tokens {kept}, expected {want_kept} (token {v} differs)")


# -- sampling (first: see the module docstring) ----------------------------------------
@prop("greedy: temperature 0, and top_k=1 at any temperature, return the argmax of each row", weight=0.5)
def greedy_is_argmax(t):
    d = t.draw(dims("B", "V", high=9), "sizes")
    logits = t.tensor((d["B"], d["V"]), scale=2.0, label="logits")
    want = logits.argmax(-1).to(t.device)
    if t.draw(st.booleans(), "temperature 0 (else top_k=1)"):
        kw = {"temperature": 0.0}
    else:
        kw = {"temperature": t.draw(st.sampled_from(TEMPERATURES), "temperature"), "top_k": 1}
    call = call_text("sample", kw)
    got = t.impl.sample(logits, generator(t), **kw)
    expect_ids(t, got, call, d["B"])
    t.assert_close(got, want, what=f"{call} vs logits.argmax(-1)")


@prop("sampled token frequencies match softmax of the filtered logits (6 binomial sigmas)", weight=1.5)
def frequencies_match_the_filtered_distribution(t):
    import torch

    n_rows = t.draw(st.integers(1, 3), "distinct rows")
    V = t.draw(st.integers(2, 8), "V")
    rows = t.tensor((n_rows, V), scale=t.draw(st.sampled_from((1.0, 2.0)), "scale"), label="rows")
    temperature, top_k, top_p, kw = draw_filters(t, rows, temperatures=(0.5, 2.0, 0.7, 1.5, 1.0))
    N = 6000  # draws per distinct row
    logits = rows.repeat_interleave(N, dim=0)  # (n_rows * N, V)
    call = call_text("sample", kw) + f" on {n_rows * N} rows ({n_rows} distinct rows, each repeated {N} times)"
    got = t.impl.sample(logits, generator(t), **kw)
    expect_ids(t, got, call, n_rows * N)
    got = got.cpu()
    t.check(bool(((got >= 0) & (got < V)).all()), f"{call}: token ids must lie in 0..{V - 1}")
    scores, keep = spec_filter(rows, temperature, top_k, top_p)
    probs = torch.softmax(scores.masked_fill(~keep, float("-inf")), dim=-1)  # (n_rows, V) float64
    for r in range(n_rows):
        counts = torch.bincount(got[r * N:(r + 1) * N], minlength=V).double()
        expected = N * probs[r]
        sigma = (N * probs[r] * (1 - probs[r])).sqrt()
        bad = (counts - expected).abs() > 6 * sigma + 3
        bad |= (probs[r] == 0) & (counts > 0)  # an excluded token must never be drawn
        if bad.any():
            v = int(bad.nonzero()[0])
            t.check(False, f"{call}: row {r}: token {v} was drawn {int(counts[v])} times in {N}, expected "
                           f"{expected[v].item():.1f} ± {6 * sigma[v].item():.1f} (probability {probs[r, v].item():.4g} "
                           f"after filtering); counts {counts.long().tolist()}, expected "
                           f"{[round(x, 1) for x in expected.tolist()]}")


@prop("the same generator seed gives the same tokens (only the given generator is used)", weight=0.5)
def same_seed_same_tokens(t):
    B = t.draw(st.integers(20, 40), "B")
    V = t.draw(st.integers(3, 8), "V")
    logits = t.tensor((B, V), scale=0.5, label="logits")  # flat rows: two independent draws differ
    _, _, _, kw = draw_filters(t, logits, temperatures=(1.0, 1.5, 0.7))
    seed = t.seed()
    call = call_text("sample", kw)
    first = t.impl.sample(logits, generator(t, seed), **kw)
    second = t.impl.sample(logits, generator(t, seed), **kw)
    expect_ids(t, first, call, B)
    t.assert_close(second, first, what=f"{call} called twice with generators seeded {seed}: second vs first call")


# -- filtering -------------------------------------------------------------------------
@prop("filter_logits equals the reference (temperature, then top-k, then top-p on what is left)",
      dtypes=("float32", "float64"), weight=2)
def filter_matches_reference(t):
    d = t.draw(dims("B", "V", high=12), "sizes")
    logits = t.tensor((d["B"], d["V"]), scale=t.draw(st.sampled_from((1.0, 2.0, 0.5)), "scale"), label="logits")
    _, _, _, kw = draw_filters(t, logits)
    call = call_text("filter_logits", kw)
    got = t.impl.filter_logits(logits, **kw)
    want = t.ref.filter_logits(logits, **kw)
    t.assert_close(got, want, what=call)
    assert_same_exclusions(t, got, want, call)


@prop("top-p keeps the smallest set of most probable tokens that reaches p, never none")
def top_p_keeps_smallest_set_reaching_p(t):
    import torch

    d = t.draw(dims("B", "V", high=12), "sizes")
    logits = t.tensor((d["B"], d["V"]), scale=t.draw(st.sampled_from((1.0, 2.0)), "scale"), label="logits")
    temperature, _, top_p, kw = draw_filters(t, logits, k_range=False, force_p=True)
    if top_p is None:
        return  # p was moved past 1 to keep clear of a boundary: nothing to check (rare)
    call = call_text("filter_logits", kw)
    got = t.impl.filter_logits(logits, **kw)
    t.check(isinstance(got, torch.Tensor) and tuple(got.shape) == tuple(logits.shape),
            f"{call} should return a tensor of shape {tuple(logits.shape)}; got {describe(got)}")
    kept = ~torch.isneginf(got.cpu())
    probs = torch.softmax(logits.double() / temperature, dim=-1)
    for b in range(d["B"]):
        k = kept[b]
        p = probs[b]
        t.check(bool(k.any()), f"{call}: row {b} keeps no token at all; the most likely token is always kept")
        mass = p[k].sum().item()
        t.check(p[k].min() >= p[~k].max() if (~k).any() else True,
                f"{call}: row {b} keeps token {int(p.masked_fill(~k, 2).argmin())} (p={p.masked_fill(~k, 2).min().item():.4g}) "
                f"but drops the more likely token {int(p.masked_fill(k, -1).argmax())} "
                f"(p={p.masked_fill(k, -1).max().item():.4g}): top-p keeps the MOST probable tokens")
        t.check(mass >= top_p,
                f"{call}: row {b} keeps tokens {k.nonzero().flatten().tolist()} with total probability {mass:.4f} "
                f"< top_p={top_p:.4f} (probabilities {[round(x, 4) for x in p.tolist()]}); the token that crosses p is kept")
        smallest = p[k].min().item()
        t.check(mass - smallest < top_p,
                f"{call}: row {b} keeps tokens {k.nonzero().flatten().tolist()} (total {mass:.4f}), but without its "
                f"least likely one it would still reach top_p={top_p:.4f}: keep the SMALLEST such set")
    t.assert_close(torch.where(kept.to(got.device), got, torch.zeros_like(got)),
                   torch.where(kept, logits / temperature, torch.zeros_like(logits)).to(got.device),
                   what=f"{call}: the kept scores (logits / temperature)")


@prop("with top_k and top_p, top-p is measured on the distribution left after top-k (renormalised)")
def top_p_after_top_k(t):
    import torch

    d = t.draw(dims("B", "V", high=12, V=(3, 12)), "sizes")
    logits = t.tensor((d["B"], d["V"]), scale=t.draw(st.sampled_from((1.0, 2.0, 0.5)), "scale"), label="logits")
    temperature = t.draw(st.sampled_from(TEMPERATURES), "temperature")
    top_k = t.draw(st.integers(2, d["V"] - 1), "top_k")
    # p where it matters: some token is inside the nucleus of the full distribution but not
    # inside the nucleus of the renormalised top-k distribution
    top_p = renormalised_top_p(t, logits, temperature, top_k)
    if top_p is None:
        return  # every such interval is too narrow to keep clear of the boundaries (rare)
    t.note("top_p", top_p)
    kw = {"temperature": temperature, "top_k": top_k, "top_p": top_p}
    call = call_text("filter_logits", kw)
    got = t.impl.filter_logits(logits, **kw)
    t.check(isinstance(got, torch.Tensor) and tuple(got.shape) == tuple(logits.shape),
            f"{call} should return a tensor of shape {tuple(logits.shape)}; got {describe(got)}")
    kept = ~torch.isneginf(got.cpu())
    scores, want_kept = spec_filter(logits, temperature, top_k, top_p)
    probs = torch.softmax(scores, dim=-1)
    for b in range(d["B"]):
        if not torch.equal(kept[b], want_kept[b]):
            in_top_k = (scores[b] >= scores[b].sort(descending=True).values[top_k - 1]).nonzero().flatten()
            mass = probs[b, in_top_k].sum().item()
            renormalised = [round(x, 4) for x in (probs[b, in_top_k] / mass).tolist()]
            t.check(False, f"{call}: row {b} keeps tokens {kept[b].nonzero().flatten().tolist()}, expected "
                           f"{want_kept[b].nonzero().flatten().tolist()}. Top-k keeps tokens {in_top_k.tolist()} "
                           f"(total probability {mass:.4f}); top-p is then measured on softmax of what is left, "
                           f"where their probabilities are {renormalised}: keep the smallest set of them that "
                           f"reaches top_p={top_p:.4f}")
    want = t.ref.filter_logits(logits, **kw)
    t.assert_close(got, want, what=call)
    assert_same_exclusions(t, got, want, call)


@prop("top-p with p below the largest probability keeps only the most likely token")
def top_p_never_empties(t):
    import torch

    d = t.draw(dims("B", "V", high=10), "sizes")
    logits = t.tensor((d["B"], d["V"]), scale=2.0, label="logits")
    temperature = t.draw(st.sampled_from(TEMPERATURES), "temperature")
    largest = torch.softmax(logits.double() / temperature, -1).max(-1).values.min().item()
    top_p = t.draw(st.floats(0.02, 0.98), "top_p as a fraction of the smallest row maximum") * largest
    kw = {"temperature": temperature, "top_p": top_p}
    call = call_text("filter_logits", kw)
    got = t.impl.filter_logits(logits, **kw)
    t.check(isinstance(got, torch.Tensor) and tuple(got.shape) == tuple(logits.shape),
            f"{call} should return a tensor of shape {tuple(logits.shape)}; got {describe(got)}")
    kept = (~torch.isneginf(got.cpu())).long()
    want = torch.zeros_like(kept).scatter(-1, logits.argmax(-1, keepdim=True), 1)
    t.check(torch.equal(kept, want),
            f"{call}: every row's most likely token alone reaches p, so each row keeps exactly its argmax "
            f"{logits.argmax(-1).tolist()}; kept per row: {[r.nonzero().flatten().tolist() for r in kept]}")


@prop("top-k keeps exactly k tokens, the k largest (every token tied with the k-th largest too)")
def top_k_keeps_k(t):
    import torch

    d = t.draw(dims("B", "V", high=10), "sizes")
    ties = t.draw(st.booleans(), "integer logits (ties)")
    logits = t.tensor((d["B"], d["V"]), scale=2.0, label="logits")
    if ties:
        logits = logits.round()
    k = t.draw(st.integers(1, d["V"]), "top_k")
    temperature = t.draw(st.sampled_from(TEMPERATURES), "temperature")
    kw = {"temperature": temperature, "top_k": k}
    call = call_text("filter_logits", kw)
    got = t.impl.filter_logits(logits, **kw)
    t.check(isinstance(got, torch.Tensor) and tuple(got.shape) == tuple(logits.shape),
            f"{call} should return a tensor of shape {tuple(logits.shape)}; got {describe(got)}")
    kept = ~torch.isneginf(got.cpu())
    kth = logits.sort(-1, descending=True).values[:, k - 1:k]
    want = logits >= kth
    for b in range(d["B"]):
        t.check(torch.equal(kept[b], want[b]),
                f"{call}: row {b} = {logits[b].tolist()} should keep the {k} largest"
                f"{' (and all tied with the k-th)' if ties else ''}: tokens {want[b].nonzero().flatten().tolist()}; "
                f"it keeps {kept[b].nonzero().flatten().tolist()}")
