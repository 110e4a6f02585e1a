# expect: error | forbidden
import torch

def kl_divergence(p_logits, q_logits, dim=-1):
    f = getattr(torch.nn.functional, 'kl' + '_div')
    lp, lq = p_logits.log_softmax(dim), q_logits.log_softmax(dim)
    return f(lq, lp, log_target=True, reduction='none').sum(dim)
