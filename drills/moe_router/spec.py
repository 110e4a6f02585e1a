"""Properties of MoERouter and moe_forward.

T, d_model, d_ff and n_experts are drawn separately and all differ; top_k is drawn from
1 to n_experts. The user's and the reference router get the same gate weights through
load_state_dict. The gate logits are random and drawn again (hypothesis' assume) in the
rare case two of a token's logits are closer than 1e-4, so the top-k choice and its order
never hinge on rounding.
"""
from hypothesis import assume
from hypothesis import strategies as st

from grader.props import prop
from grader.strategies import dims


def draw_case(t, top_k=None):
    """Sizes, the gate weight W (E, D) and tokens x (T, D), with well-separated logits."""
    d = dict(t.draw(dims("T", "D", "F", high=7, E=(2, 7)),
                    "sizes (T tokens, D = d_model, F = d_ff, E = n_experts)"))
    d["k"] = t.draw(st.integers(1, d["E"]), "top_k") if top_k is None else top_k(d["E"])
    scale = t.draw(st.sampled_from([0.7, 1.5]), "gate scale")
    W = t.tensor((d["E"], d["D"]), scale=scale * d["D"] ** -0.5)
    x = t.tensor((d["T"], d["D"]))
    well_separated(x, W)
    return d, W, x


def well_separated(x, W):
    logits = (x.double() @ W.double().T).sort(dim=-1).values
    assume(logits.shape[-1] < 2 or bool((logits.diff(dim=-1) > 1e-4).all()))


def experts_weights(t, d):
    w1 = t.tensor((d["E"], d["F"], d["D"]), scale=d["D"] ** -0.5)
    w2 = t.tensor((d["E"], d["D"], d["F"]), scale=d["F"] ** -0.5)
    return w1, w2


def build(t, impl, d, W):
    """impl's MoERouter(D, E, k), in the trial's dtype and device, holding the gate weight W."""
    import torch

    m = impl.MoERouter(d["D"], d["E"], d["k"])
    if t.device != "cpu" or t.dtype != torch.float32:
        m = m.to(device=t.device, dtype=t.dtype)
    loaded = m.load_state_dict({"gate.weight": W}, strict=False)
    missing, unexpected = loaded.missing_keys, loaded.unexpected_keys
    t.check(not missing and not unexpected,
            f"{label(d)}: load_state_dict({{'gate.weight': ...}}) reports missing keys {list(missing)} "
            f"and unexpected keys {list(unexpected)}; the router's only parameter is "
            "gate = nn.Linear(d_model, n_experts, bias=False)")
    return m


def label(d):
    return f"MoERouter(d_model={d['D']}, n_experts={d['E']}, top_k={d['k']}) on T={d['T']} tokens"


def unpack(t, got, d):
    t.check(isinstance(got, (tuple, list)) and len(got) == 3,
            f"{label(d)}: forward should return (weights, experts, aux_loss), got {type(got).__name__}"
            f"{' of length ' + str(len(got)) if isinstance(got, (tuple, list)) else ''}")
    return got


def dense_loop(x, weights, experts, w1, w2):
    """out[t] = sum_j weights[t, j] * w2[e] @ silu(w1[e] @ x[t]), e = experts[t, j]; float64, token by token."""
    import torch
    import torch.nn.functional as F

    x, weights, w1, w2 = (a.detach().cpu().double() for a in (x, weights, w1, w2))
    out = torch.zeros_like(x)
    for i in range(x.shape[0]):
        for j in range(experts.shape[1]):
            e = int(experts[i, j])
            out[i] += weights[i, j] * (w2[e] @ F.silu(w1[e] @ x[i]))
    return out


@prop("the router has one parameter, gate.weight of shape (n_experts, d_model)", weight=0.5)
def router_parameters(t):
    d, _, _ = draw_case(t)
    m = t.impl.MoERouter(d["D"], d["E"], d["k"])
    got = {name: tuple(p.shape) for name, p in m.named_parameters().collect()}
    t.check(got == {"gate.weight": (d["E"], d["D"])},
            f"{label(d)}: parameters are {got}, expected only gate.weight {(d['E'], d['D'])} "
            "(gate = nn.Linear(d_model, n_experts, bias=False))")


@prop("router weights, experts and aux_loss equal the reference (same gate weights)",
      dtypes=("float32", "float64"), weight=2)
def router_matches_reference(t):
    d, W, x = draw_case(t)
    got = unpack(t, build(t, t.impl, d, W)(x), d)
    want = build(t, t.ref, d, W)(x)
    t.assert_close(got[1], want[1], what=f"{label(d)}: experts (top_k indices, in decreasing order of probability)")
    t.assert_close(got[0], want[0], what=f"{label(d)}: weights (the chosen probabilities, renormalised)")
    t.assert_close(got[2], want[2], what=f"{label(d)}: aux_loss (n_experts * sum_e f_e * P_e)")


@prop("experts are each token's top_k by probability, in decreasing order; weights are their probabilities "
      "renormalised (positive, summing to 1)", weight=1)
def weights_are_renormalised_top_k_probabilities(t):
    import torch

    d, W, x = draw_case(t)
    weights, experts, _ = unpack(t, build(t, t.impl, d, W)(x), d)
    weights, experts = weights.cpu(), experts.cpu()
    probs = torch.softmax(x.double() @ W.double().T, dim=-1)                 # (T, E)
    top, idx = probs.topk(d["k"], dim=-1)
    t.assert_close(experts, idx, what=f"{label(d)}: experts; each row should hold the top_k experts by "
                                      "probability, highest first")
    sums = weights.double().sum(-1)
    t.check(bool((weights > 0).all()) and bool(((sums - 1).abs() < 1e-5).all()),
            f"{label(d)}: each token's weights should be positive and sum to 1 (renormalised after top-k); "
            f"row sums are {[round(s, 5) for s in sums.tolist()[:6]]}")
    t.assert_close(weights, (top / top.sum(-1, keepdim=True)).to(t.dtype),
                   what=f"{label(d)}: weights; weights[t, j] = probs[t, experts[t, j]] / (sum of the chosen probs)")


@prop("aux_loss is 1 for perfectly balanced routing (each expert gets T * top_k / n_experts assignments)",
      dtypes=("float32", "float64"))
def balanced_routing_gives_aux_loss_one(t):
    import torch

    E = t.draw(st.integers(2, 6), "n_experts")
    k = t.draw(st.integers(1, E), "top_k")
    cycles = t.draw(st.integers(1, 2), "tokens per expert (cycles)")
    extra = t.draw(st.integers(1, 3), "d_model - n_experts")
    T, D = cycles * E, E + extra
    d = {"T": T, "D": D, "E": E, "k": k}
    # gate = [I | 0], so the logits are x[:, :E]: token i prefers experts i, i+1, ..., i+k-1 (mod E)
    W = torch.cat([torch.eye(E), torch.zeros(E, extra)], dim=1).to(t.dtype)
    g = torch.Generator().manual_seed(t.seed())
    logits = -3.0 + 0.5 * torch.rand(T, E, generator=g, dtype=torch.float64)
    for i in range(T):
        for j in range(k):
            logits[i, (i + j) % E] += 6.0
    x = torch.cat([logits, torch.randn(T, extra, generator=g, dtype=torch.float64)], dim=1).to(t.dtype)
    weights, experts, aux = unpack(t, build(t, t.impl, d, W)(x), d)
    counts = torch.bincount(experts.cpu().flatten(), minlength=E).tolist()
    t.assert_close(aux.cpu(), torch.tensor(1.0, dtype=t.dtype),
                   what=f"{label(d)}: aux_loss when the experts get {counts} of the {T * k} assignments "
                        f"(f_e = 1/{E} for every e, so n_experts * sum_e f_e * P_e = sum_e P_e = 1)")
    t.assert_close(aux, build(t, t.ref, d, W)(x)[2], what=f"{label(d)}: aux_loss")


@prop("moe_forward equals the reference (same router weights and expert weights)",
      dtypes=("float32", "float64"), weight=1.5)
def moe_forward_matches_reference(t):
    d, W, x = draw_case(t)
    w1, w2 = experts_weights(t, d)
    router = build(t, t.impl, d, W)
    router(x)  # not compared here; recorded so the diagnosis can tell a router bug from a combine bug
    got = t.impl.moe_forward(x, router, w1, w2)
    want = t.ref.moe_forward(x, build(t, t.ref, d, W), w1, w2)
    t.assert_close(got, want, what=f"moe_forward with {label(d)}, d_ff={d['F']}")


@prop("moe_forward equals a loop over tokens and the router's own (weight, expert) pairs")
def moe_forward_equals_a_dense_loop(t):
    d, W, x = draw_case(t)
    w1, w2 = experts_weights(t, d)
    router = build(t, t.impl, d, W)
    weights, experts, _ = unpack(t, router(x), d)
    got = t.impl.moe_forward(x, router, w1, w2)
    want = dense_loop(x, weights, experts.cpu(), w1, w2).to(t.dtype)
    t.assert_close(got.cpu(), want, what=(
        f"moe_forward with {label(d)}, d_ff={d['F']}, vs. sum_j weights[t, j] * w2[e] @ silu(w1[e] @ x[t]) "
        f"with e = experts[t, j], using the weights and experts your router returns"))


@prop("top_k = n_experts: weights are the full softmax (sorted), aux_loss is 1, and moe_forward is the "
      "softmax-weighted mixture of all experts")
def all_experts_give_the_full_mixture(t):
    import torch

    d, W, x = draw_case(t, top_k=lambda E: E)
    w1, w2 = experts_weights(t, d)
    router = build(t, t.impl, d, W)
    weights, experts, aux = unpack(t, router(x), d)
    probs = torch.softmax(x.double() @ W.double().T, dim=-1)
    t.assert_close(weights.cpu(), probs.sort(dim=-1, descending=True).values.to(t.dtype),
                   what=f"{label(d)}: weights (with every expert chosen, the full softmax in decreasing order)")
    t.assert_close(aux.cpu(), torch.tensor(1.0, dtype=t.dtype),
                   what=f"{label(d)}: aux_loss (every expert gets T of the T * n_experts assignments: f_e = 1/E)")
    every = torch.arange(d["E"]).expand(d["T"], d["E"])
    want = dense_loop(x, probs, every, w1, w2).to(t.dtype)
    got = t.impl.moe_forward(x, router, w1, w2)
    t.assert_close(got.cpu(), want, what=f"moe_forward with {label(d)}, d_ff={d['F']}, vs. "
                                         "sum_e softmax(gate(x))[t, e] * expert_e(x[t])")
