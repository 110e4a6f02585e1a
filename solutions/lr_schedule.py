"""Reference: linear warm-up then cosine decay to min_lr, as a pure function of the step.

Left out on purpose: restarts / several cycles (SGDR), warm-up from a non-zero start,
other shapes (linear decay, warmup-stable-decay, inverse sqrt), and the stateful
LambdaLR wrapper (multiply this by the optimizer's base lr, or pass max_lr = 1).
"""
import math


def lr_at(step, max_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        # subtle: step / warmup, not (step + 1) / warmup: 0 at step 0, max_lr exactly at the
        # first decay step, so the two pieces meet without a jump or a plateau
        return max_lr * step / warmup_steps
    # progress through the decay phase: 0 at the end of warm-up, 1 at total_steps
    progress = (step - warmup_steps) / (total_steps - warmup_steps)
    # subtle: clamp, or cos(pi * progress) climbs back up after total_steps
    progress = min(progress, 1.0)
    # the floor is added to a cosine that spans max_lr - min_lr, not max_lr
    return min_lr + (max_lr - min_lr) * 0.5 * (1.0 + math.cos(math.pi * progress))
