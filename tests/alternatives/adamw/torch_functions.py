"""Correct, differently written: torch.lerp / torch.addcmul / torch.addcdiv out of place,
list comprehensions, and the update as one expression."""
import torch


def adamw_step(params, grads, exp_avg, exp_avg_sq, step, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
    b1, b2 = betas
    ms = [torch.lerp(m, g, 1 - b1) for m, g in zip(exp_avg, grads)]
    vs = [torch.addcmul(v * b2, g, g, value=1 - b2) for v, g in zip(exp_avg_sq, grads)]
    ps = [torch.addcdiv(p * (1 - lr * weight_decay), m / (1 - b1 ** step),
                        torch.sqrt(v / (1 - b2 ** step)) + eps, value=-lr)
          for p, m, v in zip(params, ms, vs)]
    return ps, ms, vs
