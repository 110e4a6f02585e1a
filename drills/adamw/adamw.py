"""One AdamW step, written as a pure function.

Write `adamw_step(params, grads, exp_avg, exp_avg_sq, step, lr=1e-3, betas=(0.9, 0.999),
eps=1e-8, weight_decay=0.01)` returning `(new_params, new_exp_avg, new_exp_avg_sq)`.

Inputs (lists of the same length n; the i-th entries of all four lists share one shape):
    params       list of tensors, float32 or float64, any shapes (0-dim allowed)
    grads        the gradients of the loss with respect to params
    exp_avg      first-moment state m   (zeros before the first step)
    exp_avg_sq   second-moment state v  (zeros before the first step)
    step         int >= 1: the number of THIS step, already incremented
                 (1 on the first call)
    lr, betas = (beta1, beta2), eps, weight_decay: floats, as in AdamW

It is the update torch.optim.AdamW makes (amsgrad and maximize off), for every tensor i:

    p  = p * (1 - lr * weight_decay)           decoupled decay FIRST, old p
    m  = beta1 * m + (1 - beta1) * g
    v  = beta2 * v + (1 - beta2) * g * g
    m_hat = m / (1 - beta1 ** step)            bias correction
    v_hat = v / (1 - beta2 ** step)
    p  = p - lr * m_hat / (sqrt(v_hat) + eps)  eps OUTSIDE the square root

Returns a tuple of three lists of n NEW tensors: the updated params, m and v, each with
the shape, dtype and device of the matching input. Functional API: do not modify any
input in place (no p.mul_(), no addcdiv_ on the given tensors); build new tensors. The
caller feeds the outputs back with the next gradients and step + 1.

What is graded: equality with the reference on random shapes and hyperparameters (lr up
to 0.1, weight_decay up to 0.5, tiny gradients where eps matters, step from 1 to 1000);
several steps in a row equal torch.optim.AdamW fed the same gradients (float32 and
float64); weight_decay = 0 equals torch.optim.Adam; the first step from zero state moves
every entry by lr in the direction -sign(g) (when weight_decay = 0 and |g| >> eps);
inputs unchanged.

Not allowed: torch.optim.AdamW / Adam and their functional forms (torch.optim.adamw.adamw,
torch.optim.adam.adam, torch.optim._functional), torch._fused_adam(w)_ and the
torch._foreach_* kernels. Plain tensor arithmetic (sqrt, mul, add, lerp...) is fine.

Example (one tensor, step 1, zero state, lr=0.1, weight_decay=0.1, default betas and eps):
    params = [tensor([1.0])], grads = [tensor([0.5])]
    decay:  1.0 * (1 - 0.1 * 0.1)                  = 0.99
    m = 0.1 * 0.5 = 0.05      v = 0.001 * 0.25 = 0.00025
    m_hat = 0.05 / 0.1 = 0.5  v_hat = 0.00025 / 0.001 = 0.25  sqrt = 0.5
    p = 0.99 - 0.1 * 0.5 / (0.5 + 1e-8)            ≈ 0.89
    -> ([tensor([0.8900])], [tensor([0.0500])], [tensor([0.00025])])
"""
import torch


def adamw_step(params: list[torch.Tensor], grads: list[torch.Tensor], exp_avg: list[torch.Tensor],
               exp_avg_sq: list[torch.Tensor], step: int, lr: float = 1e-3,
               betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
               weight_decay: float = 0.01) -> tuple[list[torch.Tensor], list[torch.Tensor], list[torch.Tensor]]:
    raise NotImplementedError
