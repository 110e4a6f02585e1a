"""One way to time repeated calls, used by the child, the local implementations and bench."""
from __future__ import annotations

import time


def time_calls(fn, args: tuple, kwargs: dict, device: str, repeats: int, warmup: int) -> list[float]:
    """Wall time of each of `repeats` calls after `warmup` untimed ones (CUDA synchronised)."""
    import torch

    sync = torch.cuda.synchronize if str(device).startswith("cuda") else (lambda: None)
    out = []
    with torch.no_grad():
        for i in range(warmup + repeats):
            sync()
            start = time.perf_counter()
            fn(*args, **kwargs)
            sync()
            if i >= warmup:
                out.append(time.perf_counter() - start)
    return out
