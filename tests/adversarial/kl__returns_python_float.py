# expect: fail | float
def kl_divergence(p_logits, q_logits, dim=-1):
    return 0.0
