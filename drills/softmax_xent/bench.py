"""Benchmark cases for `drill bench softmax_xent`: attention-score softmax and LM-head losses.

The built-ins are torch.softmax, torch.log_softmax and F.cross_entropy on the same inputs
(cross_entropy with the same ignore_index and label_smoothing).
"""
import torch

VOCAB = 32000  # LLaMA's vocabulary

CASES = [
    # the softmax of attention scores: B=8, H=8, L=512 -> rows of 512
    {"op": "softmax", "shape": (8, 8, 512, 512)},
    # log-probabilities of an LM head: 1024 tokens over the vocabulary
    {"op": "log_softmax", "shape": (1024, VOCAB)},
    # the LM loss: 1024 tokens, about 1 in 8 of them padding (ignored), label smoothing 0.1
    {"op": "cross_entropy", "shape": (1024, VOCAB), "label_smoothing": 0.1},
]
SMOKE_CASES = [
    {"op": "softmax", "shape": (2, 3, 5, 7)},
    {"op": "log_softmax", "shape": (6, 11)},
    {"op": "cross_entropy", "shape": (16, 9), "label_smoothing": 0.1},
]
IGNORE = -100


def label(case):
    size = " x ".join(map(str, case["shape"]))
    extra = f", smoothing {case['label_smoothing']}, ~1/8 ignored" if case["op"] == "cross_entropy" else ""
    return f"{case['op']} {size}{extra}"


def _inputs(case, dtype):
    g = torch.Generator().manual_seed(0)
    x = (3.0 * torch.randn(case["shape"], generator=g)).to(getattr(torch, dtype))
    if case["op"] != "cross_entropy":
        return (x,), {"dim": -1}
    n, c = case["shape"]
    targets = torch.randint(0, c, (n,), generator=g)
    targets[torch.rand(n, generator=g) < 0.125] = IGNORE
    return (x, targets), {"ignore_index": IGNORE, "label_smoothing": case["label_smoothing"]}


def setup(impl, case, device, dtype):
    args, kwargs = _inputs(case, dtype)
    return case["op"], args, kwargs


def builtin(case, device, dtype, args, kwargs):
    import torch.nn.functional as F

    fn = {"softmax": torch.softmax, "log_softmax": torch.log_softmax, "cross_entropy": F.cross_entropy}[case["op"]]
    return fn, args, kwargs
