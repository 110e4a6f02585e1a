"""Reference: one AdamW step (torch.optim.AdamW's update) as a pure function on lists.

Left out on purpose: amsgrad, maximize, lr given as a tensor, per-group hyperparameters,
and the fused / foreach kernels torch uses for speed (one loop over the tensors here).
"""


def adamw_step(params, grads, exp_avg, exp_avg_sq, step, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
               weight_decay=0.01):
    # params, grads, exp_avg, exp_avg_sq: lists of n tensors; entry i has one shape in all four
    beta1, beta2 = betas
    # subtle: `step` counts from 1; with step - 1 the first step divides by 1 - beta**0 = 0
    bias1 = 1.0 - beta1 ** step
    bias2 = 1.0 - beta2 ** step
    new_params, new_m, new_v = [], [], []
    for p, g, m, v in zip(params, grads, exp_avg, exp_avg_sq):
        # subtle: decoupled decay shrinks the OLD weights and never enters m or v
        # (adding weight_decay * p to g would be L2 regularisation, which Adam rescales)
        p = p * (1.0 - lr * weight_decay)
        m = beta1 * m + (1.0 - beta1) * g          # EMA of gradients
        v = beta2 * v + (1.0 - beta2) * g * g      # EMA of squared gradients
        # m / (1 - beta1^t) undoes the zero initialisation; same for v
        denom = (v / bias2).sqrt() + eps           # eps outside the sqrt, as torch does
        p = p - lr * (m / bias1) / denom
        new_params.append(p)
        new_m.append(m)
        new_v.append(v)
    return new_params, new_m, new_v

