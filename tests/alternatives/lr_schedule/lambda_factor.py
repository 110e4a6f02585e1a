"""Correct, differently written: HF's style, a multiplier of max_lr (what LambdaLR would
take) with the floor as a ratio min_lr / max_lr, the progress clamped with max/min."""
import math


def _factor(step, warmup_steps, total_steps, floor):
    if step < warmup_steps:
        return float(step) / float(max(1, warmup_steps))
    progress = max(0.0, min(1.0, float(step - warmup_steps) / float(max(1, total_steps - warmup_steps))))
    return floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * progress))


def lr_at(step, max_lr, warmup_steps, total_steps, min_lr=0.0):
    if max_lr == 0:
        return 0.0
    return max_lr * _factor(step, warmup_steps, total_steps, min_lr / max_lr)
