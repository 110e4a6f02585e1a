"""Correct, differently written: torch.optim's own in-place sequence (lerp_, addcmul_,
addcdiv_ with step_size = lr / bias1 and √v / √bias2), run on clones of the inputs."""
import math


def adamw_step(params, grads, exp_avg, exp_avg_sq, step, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
    beta1, beta2 = betas
    step_size = lr / (1 - beta1 ** step)
    bias2_sqrt = math.sqrt(1 - beta2 ** step)
    out = ([], [], [])
    for p, g, m, v in zip(params, grads, exp_avg, exp_avg_sq):
        p, m, v = p.clone(), m.clone(), v.clone()
        p.mul_(1 - lr * weight_decay)
        m.lerp_(g, 1 - beta1)
        v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
        denom = (v.sqrt() / bias2_sqrt).add_(eps)
        p.addcdiv_(m, denom, value=-step_size)
        for bucket, x in zip(out, (p, m, v)):
            bucket.append(x)
    return out
