"""Properties of adamw_step.

The number of tensors, their shapes and every hyperparameter are drawn. The ranges are
wider than in practice on purpose: a decay applied after the update differs from the
right one by lr²·wd·|update|, invisible at lr = 1e-3 but plain at lr = 0.1; eps inside
the square root shows only when √v is near √eps, i.e. for tiny gradients. Several steps
in a row are compared with torch.optim.AdamW (and torch.optim.Adam) run here, in the
grader's process, on the same gradients.
"""
from hypothesis import strategies as st

from grader.props import prop

LRS = (1e-3, 1e-2, 0.1)
BETAS = ((0.9, 0.999), (0.8, 0.99), (0.5, 0.9))
EPS = (1e-8, 1e-6)
DECAYS = (0.0, 0.01, 0.1, 0.5)
GRAD_SCALES = (1.0, 1e-2, 1e-4)   # 1e-4: √v ~ 1e-4 = √(1e-8), where eps placement matters
STEPS = (1, 2, 3, 5, 10, 100, 1000)
DEFAULTS = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.01}


def draw_shapes(t):
    n = t.draw(st.integers(1, 3), "number of tensors")
    shape = st.lists(st.integers(1, 6), min_size=0, max_size=2).map(tuple)
    return t.draw(st.lists(shape, min_size=n, max_size=n), "shapes")


def draw_hparams(t, weight_decay=None):
    """(hyperparameters, the keyword arguments to pass): a default is sometimes left out."""
    h = {"lr": t.draw(st.sampled_from(LRS), "lr"), "betas": t.draw(st.sampled_from(BETAS), "betas"),
         "eps": t.draw(st.sampled_from(EPS), "eps"),
         "weight_decay": t.draw(st.sampled_from(DECAYS), "weight_decay") if weight_decay is None else weight_decay}
    omit = t.draw(st.booleans(), "leave defaults out")
    kw = {k: v for k, v in h.items() if not (omit and v == DEFAULTS[k] and weight_decay is None)}
    return h, kw


def grads_for(t, shapes, scale):
    return [t.tensor(s, scale=scale) for s in shapes]


def call_text(shapes, step, kw):
    args = "".join(f", {k}={v!r}" for k, v in kw.items())
    return f"adamw_step(params of shapes {[list(s) for s in shapes]}, grads, exp_avg, exp_avg_sq, step={step}{args})"


def check_result(t, got, shapes, call):
    """Three lists of n tensors; then the caller compares values."""
    import torch

    n = len(shapes)
    ok = isinstance(got, (tuple, list)) and len(got) == 3 and all(
        isinstance(part, (tuple, list)) and len(part) == n and all(isinstance(x, torch.Tensor) for x in part)
        for part in got)
    if not ok:
        from grader.compare import describe

        t.check(False, f"{call} should return (new_params, new_exp_avg, new_exp_avg_sq), three lists of "
                       f"{n} tensors; it returned {describe(got)}")


NAMES = ("new_params", "new_exp_avg", "new_exp_avg_sq")


def compare(t, got, want, call):
    for name, g_list, w_list in zip(NAMES, got, want):
        for i, (g, w) in enumerate(zip(g_list, w_list)):
            t.assert_close(g, w, what=f"{call}: {name}[{i}]")


@prop("one step equals the reference (params, exp_avg and exp_avg_sq; random shapes and hyperparameters)",
      dtypes=("float32", "float64"), weight=2)
def matches_reference(t):
    import torch

    shapes = draw_shapes(t)
    h, kw = draw_hparams(t)
    step = t.draw(st.sampled_from(STEPS), "step")
    scale = t.draw(st.sampled_from(GRAD_SCALES), "gradient scale")
    params = [t.tensor(s) for s in shapes]
    grads = grads_for(t, shapes, scale)
    if step == 1:  # the state before the first step is zeros
        m = [torch.zeros(s, dtype=t.dtype) for s in shapes]
        v = [torch.zeros(s, dtype=t.dtype) for s in shapes]
    else:  # a plausible state: m of the gradients' size, v = (something of that size)²
        m = [t.tensor(s, scale=scale * 0.5) for s in shapes]
        v = [t.tensor(s, scale=scale) ** 2 for s in shapes]
    call = call_text(shapes, step, kw)
    got = t.impl.adamw_step(params, grads, m, v, step, **kw)
    check_result(t, got, shapes, call)
    compare(t, got, t.ref.adamw_step(params, grads, m, v, step, **kw), call)


def run_against_torch(t, optimizer_name, weight_decay=None):
    """Feed the user's outputs back for several steps; compare each step with torch.optim."""
    import torch

    shapes = draw_shapes(t)
    h, kw = draw_hparams(t, weight_decay)
    n_steps = t.draw(st.integers(2, 6), "number of steps")
    scale = t.draw(st.sampled_from(GRAD_SCALES), "gradient scale")
    params = [t.tensor(s) for s in shapes]
    m = [torch.zeros(s, dtype=t.dtype) for s in shapes]
    v = [torch.zeros(s, dtype=t.dtype) for s in shapes]
    theirs = [p.clone().to(t.device).requires_grad_(True) for p in params]
    if optimizer_name == "AdamW":
        opt = torch.optim.AdamW(theirs, lr=h["lr"], betas=h["betas"], eps=h["eps"], weight_decay=h["weight_decay"])
    else:
        opt = torch.optim.Adam(theirs, lr=h["lr"], betas=h["betas"], eps=h["eps"])
    for step in range(1, n_steps + 1):
        grads = grads_for(t, shapes, scale)
        call = call_text(shapes, step, kw) + f" (step {step} of {n_steps}, fed the previous outputs)"
        got = t.impl.adamw_step(params, grads, m, v, step, **kw)
        check_result(t, got, shapes, call)
        for p, g in zip(theirs, grads):
            p.grad = g.to(t.device)
        opt.step()
        want_m = [opt.state[p]["exp_avg"] for p in theirs]
        want_v = [opt.state[p]["exp_avg_sq"] for p in theirs]
        compare(t, got, ([p.detach() for p in theirs], want_m, want_v),
                call.replace("adamw_step(", f"vs torch.optim.{optimizer_name}: adamw_step(", 1))
        params, m, v = (list(x) for x in got)


@prop("several steps in a row equal torch.optim.AdamW fed the same gradients", dtypes=("float32", "float64"))
def matches_torch_adamw(t):
    run_against_torch(t, "AdamW")


@prop("with weight_decay=0, several steps equal torch.optim.Adam (plain Adam)", weight=0.5)
def no_decay_matches_torch_adam(t):
    run_against_torch(t, "Adam", weight_decay=0.0)


@prop("bias correction: the first step from zero state moves every entry by lr against the gradient's sign "
      "(weight_decay=0, |g| >> eps)", dtypes=("float64",), weight=0.5)
def first_step_moves_by_lr(t):
    import torch

    shapes = draw_shapes(t)
    lr = t.draw(st.sampled_from(LRS), "lr")
    betas = t.draw(st.sampled_from(BETAS), "betas")
    params = [t.tensor(s) for s in shapes]
    # |g| >= 0.1, so eps = 1e-8 changes the step by at most 1e-7 of lr
    grads = [(x.sign() + (x.sign() == 0).double()) * (0.1 + x.abs()) for x in (t.tensor(s) for s in shapes)]
    zeros = [torch.zeros(s, dtype=t.dtype) for s in shapes]
    call = call_text(shapes, 1, {"lr": lr, "betas": betas, "weight_decay": 0.0}) + " from zero state"
    got = t.impl.adamw_step(params, grads, zeros, zeros, 1, lr=lr, betas=betas, weight_decay=0.0)
    check_result(t, got, shapes, call)
    for i, (p, g, new) in enumerate(zip(params, grads, got[0])):
        moved = new.cpu() - p
        want = -lr * g.sign()
        err = (moved - want).abs().max().item() if moved.numel() else 0.0
        t.check(moved.shape == want.shape and err <= 1e-6 * lr,
                f"{call}: new_params[{i}] - params[{i}] should be -lr·sign(g) = ±{lr:g} everywhere "
                f"(m̂ = g and v̂ = g² after bias correction, so m̂/√v̂ = ±1); got "
                f"{moved.flatten()[:4].tolist()}, off by up to {err:.3g}")
