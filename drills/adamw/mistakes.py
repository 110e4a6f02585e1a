"""Classic wrong AdamW steps; each must fail the spec."""
from grader.props import mistake


def _step(params, grads, exp_avg, exp_avg_sq, step, lr, betas, eps, weight_decay, *, decay="decoupled",
          bias=True, bias_step_offset=0, eps_inside=False):
    beta1, beta2 = betas
    t = step + bias_step_offset
    bias1 = 1.0 - beta1 ** t if bias else 1.0
    bias2 = 1.0 - beta2 ** t if bias else 1.0
    out_p, out_m, out_v = [], [], []
    for p, g, m, v in zip(params, grads, exp_avg, exp_avg_sq):
        if decay == "l2":
            g = g + weight_decay * p
        elif decay == "decoupled":
            p = p * (1.0 - lr * weight_decay)
        elif decay == "no_lr":
            p = p * (1.0 - weight_decay)
        m = beta1 * m + (1.0 - beta1) * g
        v = beta2 * v + (1.0 - beta2) * g * g
        v_hat = v / bias2
        denom = (v_hat + eps).sqrt() if eps_inside else v_hat.sqrt() + eps
        p = p - lr * (m / bias1) / denom
        if decay == "after":
            p = p * (1.0 - lr * weight_decay)
        out_p.append(p)
        out_m.append(m)
        out_v.append(v)
    return out_p, out_m, out_v


@mistake("coupled_l2", "L2 regularisation: weight_decay·p added to the gradient (Adam, not AdamW)",
         explain="AdamW decouples the decay: p ← p·(1 − lr·wd) and the gradient that feeds m and v is the "
                 "plain gradient. Adding wd·p to g makes the decay pass through m/√v, so weights with large "
                 "gradients are barely decayed (Loshchilov & Hutter, 'Decoupled Weight Decay Regularization').")
def adamw_step(params, grads, exp_avg, exp_avg_sq, step, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
    return _step(params, grads, exp_avg, exp_avg_sq, step, lr, betas, eps, weight_decay, decay="l2")


@mistake("no_bias_correction", "no bias correction: m and v used without dividing by 1 − β^step",
         entry="adamw_step",
         explain="m and v start at zero, so early on they are shrunk towards 0 by a factor 1 − β^step; "
                 "m̂ = m/(1 − β1^step) and v̂ = v/(1 − β2^step) undo it. Without it the first steps are "
                 "the wrong size (√(1 − β2)/(1 − β1) ≈ 0.32× lr at step 1 for the default betas).")
def no_bias_correction(params, grads, exp_avg, exp_avg_sq, step, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                       weight_decay=0.01):
    return _step(params, grads, exp_avg, exp_avg_sq, step, lr, betas, eps, weight_decay, bias=False)


@mistake("decay_after_update", "weight decay applied after the Adam update (to the new weights)",
         entry="adamw_step",
         explain="torch.optim.AdamW shrinks the OLD weights, p·(1 − lr·wd), and then subtracts the Adam "
                 "update. Decaying the already-updated weights also shrinks the update, by lr²·wd·update.")
def decay_after_update(params, grads, exp_avg, exp_avg_sq, step, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                       weight_decay=0.01):
    return _step(params, grads, exp_avg, exp_avg_sq, step, lr, betas, eps, weight_decay, decay="after")


@mistake("decay_without_lr", "weight decay p·(1 − wd) not multiplied by lr", entry="adamw_step",
         explain="torch's AdamW decays by p·(1 − lr·wd): the decay follows the learning-rate schedule. "
                 "p·(1 − wd) with wd = 0.01 would shrink every weight by 1% per step.")
def decay_without_lr(params, grads, exp_avg, exp_avg_sq, step, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                     weight_decay=0.01):
    return _step(params, grads, exp_avg, exp_avg_sq, step, lr, betas, eps, weight_decay, decay="no_lr")


@mistake("eps_inside_sqrt", "eps inside the square root: √(v̂ + eps) instead of √v̂ + eps", entry="adamw_step",
         explain="Adam (and torch) add eps to √v̂. Inside the root it acts like √eps = 1e-4 for eps = 1e-8, "
                 "which damps the step of every parameter whose gradients are around 1e-4 or smaller.")
def eps_inside_sqrt(params, grads, exp_avg, exp_avg_sq, step, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                    weight_decay=0.01):
    return _step(params, grads, exp_avg, exp_avg_sq, step, lr, betas, eps, weight_decay, eps_inside=True)


@mistake("bias_correction_step_minus_1",
         "bias correction with step − 1 (1 − β^(step−1)): division by 0 at step 1",
         entry="adamw_step",
         explain="`step` is already the 1-based number of this step (torch increments its counter before "
                 "using it). With step − 1 the first correction is 1 − β^0 = 0, giving inf/NaN weights.")
def bias_step_minus_1(params, grads, exp_avg, exp_avg_sq, step, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                      weight_decay=0.01):
    return _step(params, grads, exp_avg, exp_avg_sq, step, lr, betas, eps, weight_decay, bias_step_offset=-1)


@mistake("updates_inputs_in_place", "the inputs are updated in place (p.mul_, m.lerp_, ...), as inside torch.optim",
         entry="adamw_step",
         explain="This is a functional API: the caller keeps its tensors and gets new ones back. Use out-of-place "
                 "ops (p * (1 − lr·wd), beta1 * m + ...), or clone first.")
def in_place(params, grads, exp_avg, exp_avg_sq, step, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
    beta1, beta2 = betas
    for p, g, m, v in zip(params, grads, exp_avg, exp_avg_sq):
        p.mul_(1.0 - lr * weight_decay)
        m.lerp_(g, 1.0 - beta1)
        v.mul_(beta2).addcmul_(g, g, value=1.0 - beta2)
        denom = (v / (1.0 - beta2 ** step)).sqrt().add_(eps)
        p.addcdiv_(m, denom, value=-lr / (1.0 - beta1 ** step))
    return list(params), list(exp_avg), list(exp_avg_sq)
