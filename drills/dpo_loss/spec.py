"""Properties of dpo_loss.

The four log-prob vectors are drawn independently (the reference's log-probs are negative,
the policy's are the reference's plus a drawn deviation), so the chosen and rejected
log-ratios differ and every term of the margin matters. beta is drawn among values other
than 1 (or left at its default), so beta outside the log-sigmoid cannot hide.
"""
import math

from hypothesis import strategies as st

from grader.props import prop

BETAS = [0.05, 0.1, 0.3, 2.5]


def draw_case(t, deviation=None):
    """(args, kwargs, beta): the four (B,) log-prob tensors and how beta is passed."""
    B = t.draw(st.integers(1, 8), "B")
    if deviation is None:
        deviation = t.draw(st.sampled_from([0.5, 2.0, 8.0]), "policy - reference scale")
    ref_chosen = -t.tensor((B,), scale=20.0).abs() - 1.0
    ref_rejected = -t.tensor((B,), scale=20.0).abs() - 1.0
    policy_chosen = ref_chosen + t.tensor((B,), scale=deviation)
    policy_rejected = ref_rejected + t.tensor((B,), scale=deviation)
    args = (policy_chosen, policy_rejected, ref_chosen, ref_rejected)
    beta, kwargs = beta_kwargs(t)
    return args, kwargs, beta


def beta_kwargs(t):
    how = t.draw(st.sampled_from(["default"] + BETAS), "beta")
    return (0.1, {}) if how == "default" else (how, {"beta": how})


def describe(args, kwargs):
    beta = kwargs.get("beta", "0.1 (default)")
    return f"dpo_loss for B={args[0].shape[0]}, beta={beta}"


def unpack(t, got, label):
    """The returned (loss, chosen_rewards, rejected_rewards), checked for the stated types."""
    import torch

    t.check(isinstance(got, (tuple, list)) and len(got) == 3,
            f"{label}: expected a tuple (loss, chosen_rewards, rejected_rewards), got "
            f"{type(got).__name__}{'' if not isinstance(got, (tuple, list)) else f' of length {len(got)}'}")
    loss = got[0]
    t.check(isinstance(loss, torch.Tensor) and loss.dim() == 0,
            f"{label}: the loss should be a 0-dim tensor (the mean over the batch), got "
            f"{tuple(loss.shape) if isinstance(loss, torch.Tensor) else type(loss).__name__}")
    return got


@prop("loss and rewards equal the reference (random batch sizes, log-probs and beta)",
      dtypes=("float32", "float64"), weight=1.5)
def matches_reference(t):
    args, kwargs, _ = draw_case(t)
    label = describe(args, kwargs)
    got = t.impl.dpo_loss(*args, **kwargs)
    want = t.ref.dpo_loss(*args, **kwargs)
    unpack(t, got, label)
    t.assert_close(got[0], want[0], what=f"{label}: loss")
    t.assert_close(got[1], want[1], what=f"{label}: chosen_rewards")
    t.assert_close(got[2], want[2], what=f"{label}: rejected_rewards")


@prop("rewards are beta times the policy/reference log-ratios", dtypes=("float32", "float64"), weight=0.5)
def rewards_are_beta_log_ratios(t):
    args, kwargs, beta = draw_case(t)
    pc, pr, rc, rr = (a.double() for a in args)
    label = describe(args, kwargs)
    got = unpack(t, t.impl.dpo_loss(*args, **kwargs), label)
    t.assert_close(got[1].cpu(), (beta * (pc - rc)).to(t.dtype),
                   what=f"{label}: chosen_rewards, expected beta * (policy_chosen_logps - ref_chosen_logps)")
    t.assert_close(got[2].cpu(), (beta * (pr - rr)).to(t.dtype),
                   what=f"{label}: rejected_rewards, expected beta * (policy_rejected_logps - ref_rejected_logps)")


@prop("when the policy equals the reference, the loss is log 2 and every reward is 0",
      dtypes=("float32", "float64"))
def policy_equal_to_reference_gives_log_2(t):
    import torch

    args, kwargs, _ = draw_case(t)
    _, _, rc, rr = args
    label = describe(args, kwargs) + " with policy log-probs = reference log-probs"
    got = unpack(t, t.impl.dpo_loss(rc, rr, rc, rr, **kwargs), label)
    t.assert_close(got[0].cpu(), torch.tensor(math.log(2), dtype=t.dtype),
                   what=f"{label}: loss (every margin is 0 and -log sigmoid(0) = log 2)")
    zeros = torch.zeros_like(rc)
    t.assert_close(got[1].cpu(), zeros, what=f"{label}: chosen_rewards")
    t.assert_close(got[2].cpu(), zeros, what=f"{label}: rejected_rewards")


@prop("raising the policy's chosen log-probs lowers the loss; raising its rejected log-probs raises it")
def loss_falls_as_the_chosen_margin_grows(t):
    args, kwargs, beta = draw_case(t, deviation=2.0)
    pc, pr, rc, rr = args
    delta = t.draw(st.sampled_from([0.5, 1.0, 3.0]), "shift of the policy log-probs")
    label = describe(args, kwargs)
    base = unpack(t, t.impl.dpo_loss(pc, pr, rc, rr, **kwargs), label)[0].item()
    up_chosen = unpack(t, t.impl.dpo_loss(pc + delta, pr, rc, rr, **kwargs), label)[0].item()
    up_rejected = unpack(t, t.impl.dpo_loss(pc, pr + delta, rc, rr, **kwargs), label)[0].item()
    t.check(up_chosen < base,
            f"{label}: adding {delta} to every policy_chosen_logps should lower the loss (the policy now "
            f"prefers the chosen responses more), but it went from {base:.6g} to {up_chosen:.6g}")
    t.check(up_rejected > base,
            f"{label}: adding {delta} to every policy_rejected_logps should raise the loss, but it went "
            f"from {base:.6g} to {up_rejected:.6g}")
    want = t.ref.dpo_loss(pc, pr, rc, rr, **kwargs)[0].item()
    t.assert_close(base, want, what=f"{label}: loss", rtol=1e-4, atol=1e-5)


@prop("gradients: d loss / d policy_chosen <= 0, d loss / d policy_rejected >= 0, and both equal the reference's",
      dtypes=("float32", "float64"))
def gradients_push_chosen_up_and_rejected_down(t):
    import torch

    args, kwargs, _ = draw_case(t)
    label = describe(args, kwargs)
    g = torch.tensor(1.0, dtype=t.dtype)
    got = t.impl.grad("dpo_loss", *args, wrt=(0, 1), grad_output=g, **kwargs)
    want = t.ref.grad("dpo_loss", *args, wrt=(0, 1), grad_output=g, **kwargs)
    d_chosen, d_rejected = got["input_grads"]
    t.check(d_chosen is not None and d_rejected is not None,
            f"{label}: no gradient reached the policy log-probs (is the loss computed from detached tensors?)")
    t.check(bool((d_chosen <= 0).all()),
            f"{label}: d loss / d policy_chosen_logps should be <= 0 everywhere (raising the chosen log-prob "
            f"helps), got {d_chosen.tolist()}")
    t.check(bool((d_rejected >= 0).all()),
            f"{label}: d loss / d policy_rejected_logps should be >= 0 everywhere, got {d_rejected.tolist()}")
    t.assert_close(d_chosen, want["input_grads"][0],
                   what=f"{label}: d loss / d policy_chosen_logps (-beta * sigmoid(-margin) / B)")
    t.assert_close(d_rejected, want["input_grads"][1],
                   what=f"{label}: d loss / d policy_rejected_logps (+beta * sigmoid(-margin) / B)")


@prop("finite and correct for margins of magnitude ~1e4 (a stable log-sigmoid, not log of a sigmoid)",
      dtypes=("float32", "float64"))
def large_margins_are_finite(t):
    import torch

    args, kwargs, beta = draw_case(t)
    pc, pr, rc, rr = args
    B = pc.shape[0]
    # margins beta * (pc - rc - pr + rr) of about ±1e4, alternating in sign (pair 0 negative)
    sign = torch.tensor([(-1.0) ** (i + 1) for i in range(B)], dtype=pc.dtype)
    size = (1.0 + t.tensor((B,), dtype="float64").abs()).to(pc.dtype) * (1e4 / beta)
    pc = rc + sign * size
    label = describe(args, kwargs) + f", margins up to {size.max().item() * beta:.3g} in magnitude"
    got = unpack(t, t.impl.dpo_loss(pc, pr, rc, rr, **kwargs), label)
    t.check(bool(torch.isfinite(got[0]).all()),
            f"{label}: the loss is {got[0].item()}; sigmoid of a margin of -1e4 is exactly 0, and log(0) = -inf. "
            "Use logsigmoid (or -softplus(-z))")
    want = t.ref.dpo_loss(pc, pr, rc, rr, **kwargs)
    t.assert_close(got[0], want[0], what=f"{label}: loss")
