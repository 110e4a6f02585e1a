"""Properties of MultiHeadAttention (MHA, grouped-query and multi-query).

Both modules get the same seeded weights through load_state_dict (never their random
init). Sizes are drawn separately and differ (B, Lq, Lk, n_heads, head_dim), so a
missing transpose between (B, L, H, hd) and (B, H, L, hd), or a scale by √d_model
instead of √head_dim, cannot hide behind a square shape or a single head.
"""
from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

from grader.props import prop
from grader.strategies import bool_mask, dims

# (n_heads, n_kv_heads) with 1 < n_kv_heads < n_heads: the only configs where mapping
# query heads to kv heads with `repeat` instead of `repeat_interleave` shows
GROUPED = [(4, 2), (6, 2), (6, 3), (8, 2), (8, 4)]


@dataclass(frozen=True)
class Config:
    B: int
    Lq: int
    Lk: int
    n_heads: int
    head_dim: int
    n_kv_heads: int | None   # as passed to the constructor (None = n_heads)
    bias: bool

    @property
    def d_model(self) -> int:
        return self.n_heads * self.head_dim

    @property
    def kv_heads(self) -> int:
        return self.n_heads if self.n_kv_heads is None else self.n_kv_heads

    def __str__(self) -> str:
        return (f"MultiHeadAttention(d_model={self.d_model}, n_heads={self.n_heads}, "
                f"n_kv_heads={self.n_kv_heads}, bias={self.bias})")


def divisors(n: int) -> list[int]:
    return [g for g in range(1, n + 1) if n % g == 0]


def draw_config(t, heads=None, kv_heads="draw", lengths=True) -> Config:
    """Distinct B, Lq, Lk, n_heads, head_dim; n_kv_heads a divisor of n_heads (or None).

    With lengths=False, Lq and Lk are left at 0 for the property to draw.
    """
    L = ("Lq", "Lk") if lengths else ()
    if heads is None:
        d = t.draw(dims("B", *L, "H", high=6, hd=(1, 4)), "sizes")
        H = d["H"]
        G = t.draw(st.sampled_from([None] + divisors(H)), "n_kv_heads") if kv_heads == "draw" else kv_heads
    else:
        H, G = t.draw(heads, "n_heads, n_kv_heads")
        d = t.draw(dims("B", *L, high=6, hd=(1, 3)), "sizes")
    bias = t.draw(st.booleans(), "bias")
    return Config(d["B"], d.get("Lq", 0), d.get("Lk", 0), H, d["hd"], G, bias)


def weights(t, cfg: Config) -> dict:
    """Seeded state_dict; weights ~ N(0, 1/in) keep q·k/√hd near unit scale (no saturation)."""
    D, q_out, kv_out = cfg.d_model, cfg.n_heads * cfg.head_dim, cfg.kv_heads * cfg.head_dim
    sd = {}
    for name, (out, inp) in {"q_proj": (q_out, D), "k_proj": (kv_out, D), "v_proj": (kv_out, D),
                             "o_proj": (D, q_out)}.items():
        sd[f"{name}.weight"] = t.tensor((out, inp), scale=inp ** -0.5)
        if cfg.bias:
            sd[f"{name}.bias"] = t.tensor((out,), scale=0.5)
    return sd


def build(t, impl, cfg: Config, sd: dict, n_kv_heads="same"):
    """The implementation's module, on the trial's device and dtype, holding `sd`."""
    import torch

    G = cfg.n_kv_heads if n_kv_heads == "same" else n_kv_heads
    m = impl.MultiHeadAttention(cfg.d_model, cfg.n_heads, n_kv_heads=G, bias=cfg.bias)
    if t.device != "cpu" or t.dtype != torch.float32:
        m = m.to(device=t.device, dtype=t.dtype)
    loaded = m.load_state_dict(sd, strict=False)
    unexpected = loaded.unexpected_keys
    t.check(not unexpected, f"{cfg}: load_state_dict found no place for {sorted(unexpected)}; name the "
                            "submodules q_proj, k_proj, v_proj, o_proj (nn.Linear) with the stated shapes")
    return m


def draw_mask(t, cfg: Config, Lk: int):
    """A random bool mask (True = may attend); each of (B, n_heads, Lq, Lk) full or 1, leading dims maybe dropped."""
    full = (cfg.B, cfg.n_heads, cfg.Lq, Lk)
    keep = t.draw(st.lists(st.booleans(), min_size=4, max_size=4), "mask dims kept")
    shape = tuple(s if k else 1 for s, k in zip(full, keep))
    shape = shape[t.draw(st.integers(0, 3), "mask dims dropped"):]
    return bool_mask(shape, t.seed())


def draw_inputs(t, cfg: Config, cross=None, masked=None, causal=None):
    """x, and forward's keyword arguments kv / mask / causal (each drawn unless fixed)."""
    x = t.tensor((cfg.B, cfg.Lq, cfg.d_model), label="x")
    cross = t.draw(st.booleans(), "cross-attention (kv given)") if cross is None else cross
    kv = t.tensor((cfg.B, cfg.Lk, cfg.d_model), label="kv") if cross else None
    Lk = cfg.Lk if cross else cfg.Lq
    masked = t.draw(st.booleans(), "with mask") if masked is None else masked
    mask = draw_mask(t, cfg, Lk) if masked else None
    causal = t.draw(st.booleans(), "causal") if causal is None else causal
    return x, {"kv": kv, "mask": mask, "causal": causal}


def compare_with_reference(t, cfg: Config, x, kw, sd=None):
    sd = weights(t, cfg) if sd is None else sd
    got = build(t, t.impl, cfg, sd)(x, **kw)
    want = build(t, t.ref, cfg, sd)(x, **kw)
    t.assert_close(got, want, what=f"{cfg} output ({describe_call(kw)})")
    return got


def describe_call(kw) -> str:
    mask = "no mask" if kw["mask"] is None else f"mask of shape {tuple(kw['mask'].shape)}"
    return f"{'cross' if kw['kv'] is not None else 'self'}-attention, {mask}, causal={kw['causal']}"


@prop("q_proj, k_proj, v_proj, o_proj have the stated weight (out, in) and bias shapes, and are the only parameters",
      weight=0.5)
def parameters_have_the_stated_shapes(t):
    cfg = draw_config(t)
    m = t.impl.MultiHeadAttention(cfg.d_model, cfg.n_heads, n_kv_heads=cfg.n_kv_heads, bias=cfg.bias)
    got = {name: tuple(p.shape) for name, p in m.named_parameters().collect()}
    want = {name: tuple(w.shape) for name, w in weights(t, cfg).items()}
    problems = [f"missing {n} {want[n]}" for n in want if n not in got]
    problems += [f"{n} is {got[n]}, expected {want[n]}" for n in want if n in got and got[n] != want[n]]
    problems += [f"unexpected parameter {n} {got[n]}" for n in got if n not in want]
    t.check(not problems, f"{cfg}, head_dim={cfg.head_dim}: " + "; ".join(problems) +
            ". Weights are (out, in); biases exist only when bias=True; no other parameters.")


@prop("output equals the reference with the same weights (self/cross-attention, masks, causal, MHA/GQA/MQA)",
      dtypes=("float32", "float64"), weight=2)
def matches_reference(t):
    cfg = draw_config(t)
    x, kw = draw_inputs(t, cfg)
    compare_with_reference(t, cfg, x, kw)


@prop("grouped-query attention (1 < n_kv_heads < n_heads): query head h uses kv head h // (n_heads // n_kv_heads)")
def grouped_query_heads_map_to_consecutive_groups(t):
    cfg = draw_config(t, heads=st.sampled_from(GROUPED))
    x, kw = draw_inputs(t, cfg)
    sd = weights(t, cfg)
    # the same attention as plain MHA whose k/v heads are copied in place: kv head g
    # becomes heads g*r ... g*r + r - 1, r = n_heads // n_kv_heads
    r, hd = cfg.n_heads // cfg.kv_heads, cfg.head_dim
    expanded = dict(sd)
    for name in ("k_proj.weight", "k_proj.bias", "v_proj.weight", "v_proj.bias"):
        if name in sd:
            w = sd[name]
            expanded[name] = w.reshape(cfg.kv_heads, hd, *w.shape[1:]).repeat_interleave(r, dim=0) \
                              .reshape(cfg.n_heads * hd, *w.shape[1:])
    mha = build(t, t.impl, cfg, expanded, n_kv_heads=cfg.n_heads)(x, **kw)
    want_mha = build(t, t.ref, cfg, expanded, n_kv_heads=cfg.n_heads)(x, **kw)
    t.assert_close(mha, want_mha, what=f"plain MHA output (n_heads = n_kv_heads = {cfg.n_heads}, "
                                       f"d_model={cfg.d_model}; {describe_call(kw)})")
    gqa = build(t, t.impl, cfg, sd)(x, **kw)
    t.assert_close(gqa, mha, what=(
        f"{cfg} output vs. your (correct) plain MHA with each kv head copied to its {r} consecutive "
        f"query heads; query head h must use kv head h // {r} (repeat_interleave), "
        f"not h % {cfg.kv_heads} (repeat)"))
    compare_with_reference(t, cfg, x, kw, sd)


@prop("multi-query attention (n_kv_heads = 1) equals the reference", weight=0.5)
def multi_query_matches_reference(t):
    cfg = draw_config(t, heads=st.sampled_from([(2, 1), (3, 1), (4, 1), (6, 1)]))
    x, kw = draw_inputs(t, cfg)
    compare_with_reference(t, cfg, x, kw)


@prop("n_kv_heads = n_heads is the same module as n_kv_heads = None (plain MHA)", weight=0.5)
def kv_heads_equal_to_heads_is_plain_mha(t):
    cfg = draw_config(t, kv_heads=None)
    x, kw = draw_inputs(t, cfg)
    sd = weights(t, cfg)
    plain = build(t, t.impl, cfg, sd, n_kv_heads=None)(x, **kw)
    same = build(t, t.impl, cfg, sd, n_kv_heads=cfg.n_heads)(x, **kw)
    t.assert_close(same, plain, what=f"output with n_kv_heads={cfg.n_heads} vs. n_kv_heads=None "
                                     f"({describe_call(kw)})")
    want = build(t, t.ref, cfg, sd, n_kv_heads=None)(x, **kw)
    t.assert_close(plain, want, what=f"{cfg} output ({describe_call(kw)})")


@prop("causal self-attention: changing x after position p leaves the outputs at positions <= p unchanged",
      weight=0.5)
def future_tokens_do_not_change_past_outputs(t):
    import torch

    cfg = draw_config(t)
    x, kw = draw_inputs(t, cfg, cross=False, causal=True)
    p = t.draw(st.integers(0, cfg.Lq - 1), "last position kept")
    later = torch.arange(cfg.Lq)[None, :, None] > p               # (1, Lq, 1)
    x2 = torch.where(later, t.tensor(x.shape, scale=2.0), x)
    m = build(t, t.impl, cfg, weights(t, cfg))
    out1, out2 = m(x, **kw), m(x2, **kw)
    t.assert_close(out2[:, :p + 1], out1[:, :p + 1], what=(
        f"{cfg} causal outputs at positions 0..{p} after changing x only at positions > {p} "
        f"(the future must not leak into the past)"))


@prop("causal: the last Lq queries over Lk keys equal the last Lq rows of causal self-attention over all Lk",
      weight=0.5)
def causal_queries_are_the_last_positions(t):
    cfg = draw_config(t, lengths=False)
    Lk = t.draw(st.integers(2, 7), "Lk (all positions)")
    Lq = t.draw(st.integers(1, Lk - 1), "Lq (the last positions, as x)")
    full = t.tensor((cfg.B, Lk, cfg.d_model), label="sequence")
    m = build(t, t.impl, cfg, weights(t, cfg))
    whole = m(full, kv=None, mask=None, causal=True)               # (B, Lk, d_model)
    tail = m(full[:, Lk - Lq:], kv=full, mask=None, causal=True)   # (B, Lq, d_model)
    t.assert_close(tail, whole[:, Lk - Lq:], what=(
        f"{cfg} causal=True with the last Lq={Lq} tokens as x and all Lk={Lk} as kv, vs. rows "
        f"{Lk - Lq}..{Lk - 1} of causal self-attention: query i sits at position i + {Lk - Lq} "
        f"and may see keys j <= i + {Lk - Lq}"))


@prop("a query that may attend to no key gives o_proj of zeros (o_proj.bias, or zeros), not NaN",
      dtypes=("float32", "float16"), weight=0.5)
def fully_masked_queries_give_o_proj_of_zero(t):
    import torch

    cfg = draw_config(t)
    row = t.draw(st.integers(0, cfg.Lq - 1), "fully masked query")
    x, kw = draw_inputs(t, cfg, cross=True, masked=False)
    mask = bool_mask((cfg.B, cfg.n_heads, cfg.Lq, cfg.Lk), t.seed())
    mask[:, :, row, :] = False
    kw["mask"] = mask
    sd = weights(t, cfg)
    got = compare_with_reference(t, cfg, x, kw, sd)
    bias = sd.get("o_proj.bias", torch.zeros(cfg.d_model, dtype=t.dtype))
    t.assert_close(got[:, row].cpu(), bias.expand(cfg.B, cfg.d_model),
                   what=f"{cfg} output of query {row}, whose mask row is all False (should be o_proj.bias, or 0)")


@prop("half precision: output equals the reference within fp16/bf16 tolerance", dtypes=("float16", "bfloat16"))
def matches_reference_half(t):
    cfg = draw_config(t)
    x, kw = draw_inputs(t, cfg)
    compare_with_reference(t, cfg, x, kw)
