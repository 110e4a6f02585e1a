"""Properties of lr_at.

Short schedules (warm-up 0 to 8 steps, decay 1 to 20 steps) are compared step by step
from 0 to total_steps + 10, where an off-by-one at either end of a phase is a large,
visible change; long ones (warm-up in the thousands, 100k steps) at chosen steps. The
floor min_lr is drawn as a fraction of max_lr, 0 included, and sometimes left out.
Floats are compared within 1e-9 relative plus 1e-12·max_lr absolute: two correct float64
formulas agree to ~1e-15, every mistake differs by far more.
"""
from hypothesis import strategies as st

from grader.props import prop

MAX_LRS = (1.0, 3e-4, 6e-4, 0.1)
FLOOR_FRACTIONS = (0.1, 0.0, 0.5, 0.01, 1.0)
RTOL = 1e-9
ATOL_PER_MAX = 1e-12


def draw_schedule(t, long=False):
    """(max_lr, warmup_steps, total_steps, min_lr, kwargs for min_lr)."""
    max_lr = t.draw(st.sampled_from(MAX_LRS), "max_lr")
    if long:
        warmup = t.draw(st.sampled_from((2000, 100, 0, 1, 4000)), "warmup_steps")
        total = warmup + t.draw(st.sampled_from((100_000, 10_000, 7, 50_001)), "decay steps (total - warmup)")
    else:
        warmup = t.draw(st.integers(0, 8), "warmup_steps")
        total = warmup + t.draw(st.integers(1, 20), "decay steps (total - warmup)")
    min_lr = max_lr * t.draw(st.sampled_from(FLOOR_FRACTIONS), "min_lr / max_lr")
    kw = {} if min_lr == 0.0 and t.draw(st.booleans(), "leave min_lr=0.0 out") else {"min_lr": min_lr}
    return max_lr, warmup, total, min_lr, kw


def call_text(step, max_lr, warmup, total, kw):
    extra = f", min_lr={kw['min_lr']!r}" if kw else ""
    return f"lr_at({step}, max_lr={max_lr!r}, warmup_steps={warmup}, total_steps={total}{extra})"


def get_lr(t, step, max_lr, warmup, total, kw):
    """The user's rate at `step`, checked to be a plain number."""
    got = t.impl.lr_at(step, max_lr, warmup, total, **kw)
    if isinstance(got, bool) or not isinstance(got, (int, float)):
        from grader.compare import describe

        t.check(False, f"{call_text(step, max_lr, warmup, total, kw)} should return a Python float; "
                       f"it returned {describe(got)} (wrap it in float(...))")
    return float(got)


def close(a, b, max_lr):
    return abs(a - b) <= ATOL_PER_MAX * max_lr + RTOL * abs(b)


def expect(t, got, want, what, max_lr):
    t.check(close(got, want, max_lr), f"{what}: expected {want!r}, got {got!r}")


@prop("equals the reference at every step from 0 to total_steps + 10 (short schedules)", weight=2)
def matches_reference_every_step(t):
    max_lr, warmup, total, min_lr, kw = draw_schedule(t)
    for step in range(total + 11):
        got = get_lr(t, step, max_lr, warmup, total, kw)
        want = t.ref.lr_at(step, max_lr, warmup, total, **kw)
        expect(t, got, want, call_text(step, max_lr, warmup, total, kw), max_lr)


@prop("equals the reference at the phase boundaries and random steps of long schedules (up to 100k steps)")
def matches_reference_long(t):
    max_lr, warmup, total, min_lr, kw = draw_schedule(t, long=True)
    steps = {0, 1, warmup - 1, warmup, warmup + 1, (warmup + total) // 2, total - 1, total, total + 1, total + 5000}
    steps |= set(t.draw(st.lists(st.integers(0, total + 100), min_size=4, max_size=4), "random steps"))
    for step in sorted(s for s in steps if s >= 0):
        got = get_lr(t, step, max_lr, warmup, total, kw)
        want = t.ref.lr_at(step, max_lr, warmup, total, **kw)
        expect(t, got, want, call_text(step, max_lr, warmup, total, kw), max_lr)


@prop("warm-up: 0 at step 0, equal increments of max_lr/warmup_steps, exactly max_lr at step warmup_steps")
def warmup_is_linear_up_to_the_peak(t):
    max_lr, warmup, total, min_lr, kw = draw_schedule(t)
    lrs = [get_lr(t, s, max_lr, warmup, total, kw) for s in range(warmup + 1)]
    peak = call_text(warmup, max_lr, warmup, total, kw)
    expect(t, lrs[warmup], max_lr, f"{peak} (the end of warm-up is the peak)", max_lr)
    if warmup == 0:
        return
    expect(t, lrs[0], 0.0, call_text(0, max_lr, warmup, total, kw) + " (warm-up starts from 0)", max_lr)
    inc = max_lr / warmup
    for s in range(1, warmup + 1):
        t.check(close(lrs[s] - lrs[s - 1], inc, max_lr),
                f"lr_at(s) - lr_at(s - 1) should be max_lr / warmup_steps = {inc!r} for every s in 1..{warmup} "
                f"(a straight line from 0 that meets max_lr at step {warmup}, no jump or plateau at the end); "
                f"for s = {s} it is {lrs[s] - lrs[s - 1]!r} (rates for steps 0..{warmup}: {lrs})")


@prop("after warm-up: never increasing, (max_lr + min_lr)/2 halfway, exactly min_lr from total_steps on")
def decay_reaches_the_floor_and_stays(t):
    max_lr, warmup, total, min_lr, kw = draw_schedule(t)
    steps = list(range(warmup, total + 11))
    lrs = [get_lr(t, s, max_lr, warmup, total, kw) for s in steps]
    for s, a, b in zip(steps[1:], lrs, lrs[1:]):
        t.check(b <= a + ATOL_PER_MAX * max_lr,
                f"the rate rises from step {s - 1} to step {s} ({a!r} -> {b!r}) after warm-up "
                f"(warmup_steps={warmup}, total_steps={total}); it should only fall, then stay at min_lr")
    for s, lr in zip(steps, lrs):
        if s >= total:
            expect(t, lr, min_lr, call_text(s, max_lr, warmup, total, kw) + " (at and after total_steps)", max_lr)
    if (total - warmup) % 2 == 0:
        mid = (warmup + total) // 2
        expect(t, lrs[mid - warmup], (max_lr + min_lr) / 2,
               call_text(mid, max_lr, warmup, total, kw) + " (halfway through the decay: cos(pi/2) = 0)", max_lr)
