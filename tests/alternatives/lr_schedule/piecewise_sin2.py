"""Correct, differently written: the three phases as explicit branches, the cosine factor
as cos²(pi·progress/2) (= (1 + cos(pi·progress)) / 2), interpolating from min_lr to max_lr."""
import math


def lr_at(step, max_lr, warmup_steps, total_steps, min_lr=0.0):
    if step >= total_steps:
        return float(min_lr)
    if step < warmup_steps:
        return step / warmup_steps * max_lr
    decay_steps = total_steps - warmup_steps
    weight = math.cos(0.5 * math.pi * (step - warmup_steps) / decay_steps) ** 2
    return weight * max_lr + (1.0 - weight) * min_lr
