"""Learning-rate schedule: linear warm-up, then cosine decay to a floor.

Write `lr_at(step, max_lr, warmup_steps, total_steps, min_lr=0.0) -> float`, the learning
rate to use at optimizer step `step` (steps count from 0).

Inputs: ints 0 <= warmup_steps < total_steps and step >= 0 (also past total_steps);
floats 0 <= min_lr <= max_lr.

The rule (HF's get_cosine_schedule_with_warmup with an absolute floor and a clamp):

    step <  warmup_steps:
        lr = max_lr * step / warmup_steps    (0 at step 0, then equal steps up)
    step >= warmup_steps:
        progress = min(1, (step - warmup_steps) / (total_steps - warmup_steps))
        lr = min_lr + (max_lr - min_lr) * 0.5 * (1 + cos(pi * progress))

So the rate is exactly max_lr at step == warmup_steps (the peak; with warmup_steps = 0
that is step 0), falls along half a cosine, reaches exactly min_lr at step ==
total_steps and stays at min_lr afterwards (it does not climb back up).

Return a Python float (use math.cos; `float(...)` around anything else). Values are
compared with the reference within a relative 1e-9 (plus 1e-12 * max_lr absolute), so
plain float arithmetic in any correct order passes; float32 tensors would not.

What is graded: equality with the reference at every step from 0 to total_steps + 10
(small schedules) and at chosen steps of long ones (warm-up 2000, 100k steps); the
warm-up starts at 0 and rises by equal increments up to max_lr at warmup_steps;
after warm-up the rate never increases, is exactly min_lr from total_steps on, and is
(max_lr + min_lr) / 2 halfway through the decay.

Not allowed: torch.optim.lr_scheduler (write the formula yourself).

Example: max_lr=1.0, warmup_steps=2, total_steps=6, min_lr=0.1
    step  0    1    2    3       4     5       6    7
    lr    0.0  0.5  1.0  0.8682  0.55  0.2318  0.1  0.1
    (step 3: progress 1/4, 0.1 + 0.9 * 0.5 * (1 + cos(pi/4)) ≈ 0.8682)
"""


def lr_at(step: int, max_lr: float, warmup_steps: int, total_steps: int, min_lr: float = 0.0) -> float:
    raise NotImplementedError
