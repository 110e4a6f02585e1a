"""Properties of ppo_clip_loss.

B and T are drawn separately and differ; masks are random (a row may be all padding);
clip_eps and kl_coef are drawn or left at their defaults; the log-ratios are spread wide
enough that some tokens are clipped above 1 + eps, some below 1 - eps, and some not at all.
"""
from hypothesis import strategies as st

from grader.props import prop
from grader.strategies import bool_mask, dims


def draw_case(t, spread=None, masked=None, kl=True):
    """(logp_new, logp_old, advantages, kwargs): (B, T) tensors and the keyword arguments."""
    import torch

    d = t.draw(dims("B", "T", high=7), "sizes")
    B, T = d["B"], d["T"]
    if spread is None:
        spread = t.draw(st.sampled_from([0.1, 0.3, 0.6]), "spread of logp_new - logp_old")
    logp_old = -t.tensor((B, T), scale=2.0).abs() - 0.05
    logp_new = logp_old + t.tensor((B, T), scale=spread)
    advantages = t.tensor((B, T))
    kwargs = {}
    eps = t.draw(st.sampled_from(["default", 0.1, 0.3]), "clip_eps")
    if eps != "default":
        kwargs["clip_eps"] = eps
    if masked is None:
        masked = t.draw(st.booleans(), "with mask")
    if masked:
        mask = bool_mask((B, T), t.seed(), p_true=0.6)
        if not mask.any():
            mask[t.draw(st.integers(0, B - 1), "row kept"), 0] = True
        kwargs["mask"] = mask
        if t.draw(st.booleans(), "one row all padding") and B > 1 and mask[1:].any():
            mask[0] = False
    if kl:
        coef = t.draw(st.sampled_from(["default", 0.05, 0.5]), "kl_coef")
        if coef != "default":
            kwargs["kl_coef"] = coef
    return logp_new, logp_old, advantages, kwargs


def describe(logp_new, kwargs):
    parts = [f"(B, T)={tuple(logp_new.shape)}", f"clip_eps={kwargs.get('clip_eps', 0.2)}"]
    mask = kwargs.get("mask")
    if mask is None:
        parts.append("mask=None")
    else:
        parts.append(f"mask with {int(mask.sum())} of {mask.numel()} tokens real "
                     f"(real per row: {mask.sum(1).tolist()})")
    parts.append(f"kl_coef={kwargs.get('kl_coef', 0.0)}")
    return "ppo_clip_loss, " + ", ".join(parts)


def masked_mean(x, mask):
    """float64 mean of x over the real tokens (all of them for mask=None)."""
    x = x.double()
    if mask is None:
        return x.mean()
    return x[mask].sum() / mask.sum()


def require_scalar(t, got, label):
    import torch

    t.check(isinstance(got, torch.Tensor) and got.dim() == 0,
            f"{label}: expected a 0-dim tensor (one mean over the real tokens), got "
            f"{'a tensor of shape ' + str(tuple(got.shape)) if isinstance(got, torch.Tensor) else type(got).__name__}")


@prop("the loss equals the reference (random shapes, masks, clip_eps and kl_coef)",
      dtypes=("float32", "float64"), weight=2)
def matches_reference(t):
    new, old, adv, kw = draw_case(t)
    got = t.impl.ppo_clip_loss(new, old, adv, **kw)
    want = t.ref.ppo_clip_loss(new, old, adv, **kw)
    t.assert_close(got, want, what=describe(new, kw))


@prop("when every ratio is inside [1 - eps, 1 + eps] the loss is the plain surrogate -mean(ratio * A)",
      dtypes=("float32", "float64"))
def unclipped_ratios_give_the_plain_surrogate(t):
    import math

    import torch

    new, old, adv, kw = draw_case(t, kl=False)
    eps = kw.get("clip_eps", 0.2)
    g = torch.Generator().manual_seed(t.seed())
    # log-ratios strictly inside (log(1 - eps), log(1 + eps))
    lo, hi = 0.9 * math.log(1 - eps), 0.9 * math.log(1 + eps)
    log_ratio = (lo + (hi - lo) * torch.rand(new.shape, generator=g, dtype=torch.float64))
    new = (old.double() + log_ratio).to(t.dtype)
    ratio = torch.exp(new.double() - old.double())
    want = -masked_mean(ratio * adv.double(), kw.get("mask"))
    label = describe(new, kw) + f", every ratio in [{ratio.min().item():.4g}, {ratio.max().item():.4g}]"
    got = t.impl.ppo_clip_loss(new, old, adv, **kw)
    require_scalar(t, got, label)
    t.assert_close(got.cpu(), want.to(t.dtype), what=f"{label}: nothing is clipped, so the loss is "
                                                   "-(mean over real tokens of exp(logp_new - logp_old) * A)")


@prop("gradient w.r.t. logp_new equals the reference's; it is 0 for tokens clipped in the advantage's "
      "direction (kl_coef = 0) and for padding", dtypes=("float32", "float64"), weight=1.5)
def clipped_tokens_get_no_gradient(t):
    import torch

    new, old, adv, kw = draw_case(t, spread=0.6)
    eps = kw.get("clip_eps", 0.2)
    label = describe(new, kw)
    g = torch.tensor(1.0, dtype=t.dtype)
    got = t.impl.grad("ppo_clip_loss", new, old, adv, wrt=(0,), grad_output=g, **kw)
    want = t.ref.grad("ppo_clip_loss", new, old, adv, wrt=(0,), grad_output=g, **kw)
    grad = got["input_grads"][0]
    t.check(grad is not None, f"{label}: no gradient reached logp_new (is it detached somewhere?)")
    grad = grad.cpu()
    ratio = torch.exp(new.double() - old.double())
    clipped = ((adv > 0) & (ratio > 1 + eps)) | ((adv < 0) & (ratio < 1 - eps))
    mask = kw.get("mask")
    padded = torch.zeros_like(clipped) if mask is None else ~mask
    if kw.get("kl_coef", 0.0) == 0.0:
        bad = clipped & ~padded & (grad.abs() > 1e-12)
        if bad.any():
            i = tuple(bad.nonzero()[0].tolist())
            t.check(False, f"{label}: token {i} has A = {adv[i].item():.4g} and ratio = {ratio[i].item():.4g} "
                           f"(clipped at {1 + eps if adv[i] > 0 else 1 - eps:g} in the direction of its advantage), "
                           f"so its gradient must be exactly 0, got {grad[i].item():.4g}. "
                           "The min must pick the clipped term there: min(ratio * A, clip(ratio) * A)")
    bad = padded & (grad.abs() > 1e-12)
    if bad.any():
        i = tuple(bad.nonzero()[0].tolist())
        t.check(False, f"{label}: padded token {i} has gradient {grad[i].item():.4g}; padding must not "
                       "affect the loss")
    t.assert_close(grad, want["input_grads"][0].cpu(), what=f"{label}: d loss / d logp_new "
                   f"({int((clipped & ~padded).sum())} real tokens clipped in the advantage's direction)")


@prop("values at padded positions (of all three inputs) do not change the loss", dtypes=("float32", "float64"))
def padding_has_no_effect(t):
    import torch

    new, old, adv, kw = draw_case(t, masked=True)
    pad = ~kw["mask"]
    new2 = torch.where(pad, old + t.tensor(new.shape, scale=1.5), new)
    adv2 = torch.where(pad, t.tensor(adv.shape, scale=3.0), adv)
    label = describe(new, kw)
    got = t.impl.ppo_clip_loss(new, old, adv, **kw)
    got2 = t.impl.ppo_clip_loss(new2, old, adv2, **kw)
    t.assert_close(got2, got, what=f"{label}: loss after changing logp_new and advantages at the "
                                   f"{int(pad.sum())} padded positions")
    t.assert_close(got, t.ref.ppo_clip_loss(new, old, adv, **kw), what=label)


@prop("the KL term: 0 when logp_new == logp_old (loss = -mean A); >= 0 and equal to the reference when A = 0",
      dtypes=("float32", "float64"))
def kl_term_is_zero_at_the_old_policy_and_non_negative(t):
    import torch

    new, old, adv, kw = draw_case(t, kl=False)
    kw["kl_coef"] = t.draw(st.sampled_from([0.05, 0.5, 2.0]), "kl_coef")
    label = describe(new, kw)
    same = t.impl.ppo_clip_loss(old, old, adv, **kw)
    require_scalar(t, same, label)
    t.assert_close(same.cpu(), (-masked_mean(adv, kw.get("mask"))).to(t.dtype),
                   what=f"{label} with logp_new == logp_old: every ratio is 1 and every KL term 0, so the "
                        "loss is -(mean of the advantages over the real tokens)")
    zero_adv = torch.zeros_like(adv)
    kl_only = t.impl.ppo_clip_loss(new, old, zero_adv, **kw)
    t.check(kl_only.item() >= 0, f"{label} with advantages all 0: the loss is kl_coef * mean KL and must be "
                                 f">= 0 ((r - 1) - log r >= 0 for every r > 0), got {kl_only.item():.6g}")
    t.assert_close(kl_only, t.ref.ppo_clip_loss(new, old, zero_adv, **kw),
                   what=f"{label} with advantages all 0: kl_coef * mean over real tokens of (r - 1) - log r, "
                        "r = exp(logp_old - logp_new)")
