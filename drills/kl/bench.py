"""Benchmark cases for `drill bench kl`: per-token KL over an LM vocabulary (distillation, RLHF).

The built-in is F.kl_div on the two log-softmaxes, reduction='none', summed over the
vocabulary: the same per-distribution KL(P || Q) as the drill.
"""
import torch

CASES = [
    {"rows": 512, "V": 32000},    # 512 tokens, LLaMA's vocabulary
    {"rows": 2048, "V": 8192},
]
SMOKE_CASES = [
    {"rows": 5, "V": 7},
    {"rows": 1, "V": 33},
]


def label(case):
    return f"{case['rows']} distributions x {case['V']} outcomes"


def setup(impl, case, device, dtype):
    g = torch.Generator().manual_seed(0)
    p, q = ((2.0 * torch.randn(case["rows"], case["V"], generator=g)).to(getattr(torch, dtype)) for _ in range(2))
    return "kl_divergence", (p, q), {"dim": -1}


def builtin(case, device, dtype, args, kwargs):
    import torch.nn.functional as F

    def kl_div(p_logits, q_logits, dim=-1):
        # F.kl_div(input=log Q, target=log P, log_target=True) is P * (log P - log Q) elementwise
        return F.kl_div(torch.log_softmax(q_logits, dim=dim), torch.log_softmax(p_logits, dim=dim),
                        reduction="none", log_target=True).sum(dim=dim)

    return kl_div, args, kwargs
