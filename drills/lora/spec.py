"""Properties of LoRALinear.

in_features, out_features, r and the leading dims are drawn separately and all differ,
so a transposed A or B, or an update of the wrong shape, cannot hide; alpha never equals
r, so a missing or inverted scale shows. Every module gets the same weights loaded in
the user's and the reference implementation (random init is never compared), except
where the claim is about the initialisation itself.

Two properties see random values on purpose (the fresh factors' gradients, and dropout in
training mode). They are kept apart from the others and check only what a deterministic
bug cannot pass, because the diagnosis can name a mistake only from calls it can replay
exactly: a deterministic mistake (a wrong scale, a double bias...) must not fail them.
"""
from hypothesis import strategies as st

from grader.props import prop
from grader.strategies import dims


def draw_case(t, max_lead=2, min_features=1):
    """Sizes, alpha, whether the base has a bias, and an input x of shape (..., In)."""
    n_lead = t.draw(st.integers(0, max_lead), "leading dims")
    names = [f"B{i}" for i in range(n_lead)]
    features = (min_features, 8)
    d = dict(t.draw(dims(*names, "In", "Out", high=8, r=(1, 4), In=features, Out=features), "sizes"))
    d["alpha"] = t.draw(st.sampled_from([a for a in (1, 2, 4, 8, 16) if a != d["r"]]), "alpha")
    d["bias"] = t.draw(st.booleans(), "base has a bias")
    lead = tuple(d[n] for n in names)
    x = t.tensor(lead + (d["In"],), label="x")
    return d, x


def weights(t, d):
    """A full state_dict: base weight (and bias), and nonzero LoRA factors."""
    sd = {"base.weight": t.tensor((d["Out"], d["In"])),
          "lora_A": t.tensor((d["r"], d["In"]), scale=0.5),
          "lora_B": t.tensor((d["Out"], d["r"]), scale=0.5)}
    if d["bias"]:
        sd["base.bias"] = t.tensor((d["Out"],))
    return sd


def make_base(t, d, sd):
    """The nn.Linear to wrap (on the CPU, in the trial's dtype), holding sd's base weights."""
    import torch

    base = torch.nn.Linear(d["In"], d["Out"], bias=d["bias"], dtype=t.dtype)
    with torch.no_grad():
        base.weight.copy_(sd["base.weight"])
        if d["bias"]:
            base.bias.copy_(sd["base.bias"])
    return base


def build(t, impl, base, d, dropout=0.0):
    """LoRALinear(base, r, alpha, dropout) made by `impl`, moved to the trial's device."""
    m = impl.LoRALinear(base, d["r"], d["alpha"], dropout=dropout)
    if t.device != "cpu":
        m = m.to(t.device)
    return m


def pair(t, d, sd, dropout=0.0, load=True):
    """The user's and the reference module around the same base, with `sd` loaded."""
    base = make_base(t, d, sd)
    m, ref = build(t, t.impl, base, d, dropout), build(t, t.ref, base, d, dropout)
    if load:
        m.load_state_dict(sd)
        ref.load_state_dict(sd)
    return m, ref


@prop("a fresh adapter (lora_B = 0) returns exactly the base layer's output", weight=0.5)
def fresh_adapter_equals_base(t):
    d, x = draw_case(t)
    m, ref = pair(t, d, weights(t, d), load=False)
    t.assert_close(m(x), ref(x), what="output of a fresh LoRALinear (lora_B starts at 0, so it must equal base(x))")


@prop("at initialisation lora_B gets a nonzero gradient and lora_A a zero one (B = 0, A random)", weight=0.5)
def fresh_adapter_can_learn(t):
    import torch

    d, x = draw_case(t)
    m, _ = pair(t, d, weights(t, d), load=False)
    g = t.tensor(tuple(x.shape[:-1]) + (d["Out"],), label="grad_output")
    grads = m.grad(x, grad_output=g)["param_grads"]
    ga, gb = grads.get("lora_A"), grads.get("lora_B")
    t.check(isinstance(ga, torch.Tensor) and isinstance(gb, torch.Tensor),
            f"lora_A and lora_B should be parameters that receive gradients; got gradients for {sorted(grads)}")
    t.check(bool((ga == 0).all()),
            "lora_A got a nonzero gradient at initialisation, so lora_B is not zero: initialise B to zeros "
            "so the adapter starts as an exact copy of the base layer")
    t.check(bool((gb != 0).any()),
            "lora_B got an all-zero gradient at initialisation: lora_A is zero too. Initialise A randomly "
            "(kaiming-uniform) and B to zeros; with both zero, no gradient ever reaches either factor")


@prop("with lora_A and lora_B loaded, the output equals the reference (any leading dims, with or without bias)",
      dtypes=("float32", "float64"))
def matches_reference(t):
    d, x = draw_case(t)
    m, ref = pair(t, d, weights(t, d))
    got = m(x)
    want = ref(x)
    scale = d["alpha"] / d["r"]
    t.assert_close(got, want, what=f"output (scale alpha/r = {d['alpha']}/{d['r']} = {scale:g})")
    t.assert_close(m(x), got, what="output of a second identical call (dropout=0.0 must be deterministic)")


@prop("only lora_A and lora_B get gradients (r·(in + out) trainable numbers), equal to the reference's; "
      "the base layer stays frozen", weight=0.5)
def only_the_adapter_trains(t):
    d, x = draw_case(t)
    m, ref = pair(t, d, weights(t, d))
    g = t.tensor(tuple(x.shape[:-1]) + (d["Out"],), label="grad_output")
    got = m.grad(x, wrt=(0,), grad_output=g)
    want = ref.grad(x, wrt=(0,), grad_output=g)
    pg, wg = got["param_grads"], want["param_grads"]
    expected = sorted(wg)
    t.check(sorted(pg) == expected,
            f"the module's parameters should be exactly {expected}; found {sorted(pg)}")
    for name in ("base.weight", "base.bias"):
        if name in pg:
            t.check(pg[name] is None, f"{name} received a gradient: the base layer must be frozen "
                                      "(requires_grad_(False) on its weight and bias)")
    trainable = sum(v.numel() for v in pg.values() if v is not None)
    n = d["r"] * (d["In"] + d["Out"])
    t.check(trainable == n, f"{trainable} numbers received gradients; LoRA trains r·(in + out) = "
                            f"{d['r']}·({d['In']} + {d['Out']}) = {n}")
    t.assert_close(got["output"], want["output"], what="output")
    t.assert_close(got["input_grads"][0], want["input_grads"][0], what="gradient of x")
    for name in ("lora_B", "lora_A"):
        t.assert_close(pg.get(name), wg[name], what=f"gradient of {name}")


@prop("merge() folds (B @ A)·alpha/r into the frozen base.weight once (a second merge() does nothing) and "
      "keeps the output; unmerge() restores the weight", weight=0.5)
def merge_and_unmerge(t):
    # in and out >= 2: when either is 1, an (in, out) matrix reshaped to (out, in) equals its
    # transpose, so a merge that reshapes where it should transpose would go unseen
    d, x = draw_case(t, min_features=2)
    sd = weights(t, d)
    m, ref = pair(t, d, sd)
    want = ref(x)
    t.assert_close(m(x), want, what="output before merge()")
    flag = m.merged
    t.check(flag is False, f"merged should be False before merge(); it is {flag!r}")
    ref.merge()
    merged_weight = ref.base.weight
    m.merge()
    flag = m.merged
    t.check(flag is True, f"merged should be True after merge(); it is {flag!r}")
    t.assert_close(m.base.weight, merged_weight, what="base.weight after merge() (W + (B @ A)·alpha/r)")
    g = t.tensor(tuple(x.shape[:-1]) + (d["Out"],), label="grad_output")
    after = m.grad(x, wrt=(0,), grad_output=g)
    t.assert_close(after["output"], want, what="output after merge() (must equal the output before merging)")
    t.check(after["param_grads"].get("base.weight") is None,
            "after merge(), base.weight received a gradient: the merged weight must stay frozen "
            "(add to it in place under torch.no_grad(), or keep requires_grad=False)")
    m.merge()
    t.assert_close(m.base.weight, merged_weight,
                   what="base.weight after merge() twice (the second call must do nothing)")
    m.unmerge()
    flag = m.merged
    t.check(flag is False, f"merged should be False after unmerge(); it is {flag!r}")
    original = sd["base.weight"].to(t.device)
    t.assert_close(m.base.weight, original, what="base.weight after unmerge() (the original W)")
    t.assert_close(m(x), want, what="output after merge(), merge(), unmerge()")
    m.unmerge()
    t.assert_close(m.base.weight, original, what="base.weight after a second unmerge() (it must do nothing)")


@prop("dropout never touches the base layer's input, and is off in eval() mode", weight=0.5)
def dropout_spares_base_and_eval(t):
    d, x = draw_case(t)
    sd = weights(t, d)
    m, ref = pair(t, d, sd, dropout=0.5, load=False)
    t.assert_close(m(x), ref(x), what="output of a fresh adapter with dropout=0.5 in train mode "
                                      "(lora_B = 0, so it must equal base(x): dropout belongs to the LoRA branch)")
    m.load_state_dict(sd)
    ref.load_state_dict(sd)
    m.eval()
    ref.eval()
    t.assert_close(m(x), ref(x), what="output in eval() mode with dropout=0.5 (no dropout in eval mode)")


@prop("in train() mode, dropout(p=0.5) zeroes or doubles the LoRA branch's input (inverted dropout)", weight=0.5)
def dropout_acts_on_the_lora_input(t):
    import torch

    d, _ = draw_case(t, max_lead=0)
    # 24 rows with one nonzero entry each: dropout keeps a row's input (times 2) or zeroes it,
    # so each output row is one of two vectors, whatever the random mask
    g = torch.Generator().manual_seed(t.seed())
    col = torch.randint(0, d["In"], (4, 6, 1), generator=g)
    val = (0.5 + torch.rand(4, 6, 1, generator=g)) * (torch.randint(0, 2, (4, 6, 1), generator=g) * 2 - 1)
    x = torch.zeros(4, 6, d["In"], dtype=t.dtype).scatter(-1, col, val.to(t.dtype))
    sd = weights(t, d)
    m = build(t, t.impl, make_base(t, d, sd), d, dropout=0.5)
    m.eval()
    m.load_state_dict(dict(sd, lora_B=torch.zeros_like(sd["lora_B"])))
    y_base = m(x)                  # (4, 6, Out): the base path alone, as the module computes it
    m.load_state_dict(sd)
    y_full = m(x)                  # eval: the LoRA branch on the undropped input
    m.train()
    y = m(x)
    y_kept = y_base + 2 * (y_full - y_base)

    def rows_close(a, b):  # (4, 6): which rows of a equal those of b
        return ((a - b).abs() <= 1e-4 * (1 + b.abs())).all(-1)

    dropped, kept, as_eval = rows_close(y, y_base), rows_close(y, y_kept), rows_close(y, y_full)
    t.check(not bool(as_eval.all()),
            "in train() mode with dropout=0.5 the output equals the eval() output on all 24 rows: "
            "dropout is not applied to the LoRA branch's input in training mode")
    neither = ~(dropped | kept)
    unscaled = " Some rows equal base(x) + lora(x): kept inputs must be scaled by 1/(1 - p) = 2." \
        if bool((neither & as_eval).any()) else ""
    t.check(not bool(neither.any()),
            "with dropout on the LoRA input x, an input row with one nonzero entry is either zeroed or doubled, "
            "so each output row must be base(x) or base(x) + 2·lora(x); "
            f"{int(neither.sum())} of 24 rows are neither (is dropout applied somewhere else?).{unscaled}")
    t.check(bool((dropped & ~kept).any() and (kept & ~dropped).any()),
            f"in train() mode with dropout=0.5, {int(dropped.sum())} of 24 rows had their LoRA input dropped "
            f"and {int(kept.sum())} kept; both should happen")
