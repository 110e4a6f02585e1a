"""Classic wrong warm-up + cosine schedules; each must fail the spec."""
import math

from grader.props import mistake


def _cos(progress):
    return 0.5 * (1.0 + math.cos(math.pi * progress))


@mistake("warmup_step_plus_one", "warm-up is (step + 1) / warmup_steps: the peak comes one step early",
         explain="With (step + 1) the rate is max_lr/warmup at step 0 (never 0) and already max_lr at step "
                 "warmup_steps - 1, so the peak lasts two steps. The warm-up line is step / warmup_steps: 0 at "
                 "step 0, max_lr exactly at step warmup_steps, where the cosine starts.")
def lr_at(step, max_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return max_lr * (step + 1) / warmup_steps
    progress = min((step - warmup_steps) / (total_steps - warmup_steps), 1.0)
    return min_lr + (max_lr - min_lr) * _cos(progress)


@mistake("decay_ends_one_step_early", "decay over total_steps - warmup_steps - 1 steps: min_lr reached one step early",
         entry="lr_at",
         explain="progress = (step - warmup_steps) / (total_steps - warmup_steps) is 1 exactly at step == "
                 "total_steps; dividing by one step fewer hits the floor at total_steps - 1.")
def decay_ends_early(step, max_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return max_lr * step / warmup_steps
    progress = min((step - warmup_steps) / max(1, total_steps - warmup_steps - 1), 1.0)
    return min_lr + (max_lr - min_lr) * _cos(progress)


@mistake("ignores_min_lr", "cosine decays to 0: min_lr is ignored", entry="lr_at",
         explain="The schedule ends at min_lr, not 0: lr = min_lr + (max_lr - min_lr) · (1 + cos(pi·progress)) / 2.")
def ignores_min_lr(step, max_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return max_lr * step / warmup_steps
    progress = min((step - warmup_steps) / (total_steps - warmup_steps), 1.0)
    return max_lr * _cos(progress)


@mistake("decay_from_step_zero",
         "cosine progress measured from step 0 (step / total_steps), not from the end of warm-up",
         entry="lr_at",
         explain="The decay starts when the warm-up ends: progress = (step - warmup_steps) / (total_steps - "
                 "warmup_steps). Measured from step 0, the rate has already fallen below max_lr at the peak, so "
                 "the two pieces do not meet.")
def decay_from_zero(step, max_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return max_lr * step / warmup_steps
    progress = min(step / total_steps, 1.0)
    return min_lr + (max_lr - min_lr) * _cos(progress)


@mistake("min_lr_added_on_top", "min_lr added on top of the full cosine: max_lr·(1 + cos)/2 + min_lr", entry="lr_at",
         explain="Adding the floor to a cosine that spans max_lr overshoots: the peak becomes max_lr + min_lr. "
                 "Scale the cosine by (max_lr - min_lr) and add min_lr.")
def min_lr_on_top(step, max_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return max_lr * step / warmup_steps
    progress = min((step - warmup_steps) / (total_steps - warmup_steps), 1.0)
    return max_lr * _cos(progress) + min_lr


@mistake("no_clamp_after_total", "progress not clamped: after total_steps the cosine climbs back up", entry="lr_at",
         explain="cos(pi·progress) is periodic: for progress > 1 it rises again (HF's scheduler does this when "
                 "training runs past num_training_steps). Clamp progress to 1 so the rate stays at min_lr.")
def no_clamp(step, max_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return max_lr * step / warmup_steps
    progress = (step - warmup_steps) / (total_steps - warmup_steps)
    return min_lr + (max_lr - min_lr) * _cos(progress)
