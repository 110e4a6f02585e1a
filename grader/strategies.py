"""Hypothesis strategies shared by the drills' specs.

Shapes come from named dimensions drawn together and, by default, all different, so a
transpose or a softmax over the wrong axis cannot hide behind a square shape. Tensor
values come from a seeded torch generator (fast for any size) with a drawn scale, so
hypothesis shrinks shapes and scales while the values stay reproducible.
"""
from __future__ import annotations

from functools import lru_cache

from hypothesis import strategies as st

FLOAT_DTYPES = ("float32", "float64", "float16", "bfloat16")
HALF_DTYPES = ("float16", "bfloat16")


def dims(*names: str, low: int = 1, high: int = 6, distinct: bool = True, **ranges: tuple[int, int]):
    """Named sizes, e.g. `dims("B", "Lq", "Lk", D=(1, 8))` -> {"B": 2, "Lq": 3, "Lk": 1, "D": 5}.

    All sizes are different when `distinct` (the reason this exists). A name given in
    `ranges` uses its own (low, high).
    """
    return _dims(names + tuple(n for n in ranges if n not in names), low, high, distinct,
                 tuple(sorted(ranges.items())))


@lru_cache(maxsize=None)
def _dims(names, low, high, distinct, range_items):
    """Cached: building a composite strategy makes hypothesis read its source, which is slow."""
    ranges = dict(range_items)

    @st.composite
    def draw_dims(draw):
        out: dict[str, int] = {}
        for name in names:
            lo, hi = ranges.get(name, (low, high))
            taken = set(out.values()) if distinct else set()
            choices = [v for v in range(lo, hi + 1) if v not in taken]
            if not choices:  # more names than sizes: give up distinctness for this one
                choices = list(range(lo, hi + 1))
            out[name] = draw(st.sampled_from(choices))
        return out

    return draw_dims()


def tensor(shape, dtype="float32", scale: float = 1.0, seed: int = 0, device: str = "cpu"):
    """A normal(0, scale) tensor from a seeded generator, made in float64 then cast."""
    import torch

    g = torch.Generator().manual_seed(int(seed))
    t = torch.randn(tuple(shape), generator=g, dtype=torch.float64) * scale
    return t.to(getattr(torch, dtype) if isinstance(dtype, str) else dtype).to(device)


def bool_mask(shape, seed: int, p_true: float = 0.7):
    import torch

    g = torch.Generator().manual_seed(int(seed))
    return torch.rand(tuple(shape), generator=g) < p_true


def int_tensor(shape, low: int, high: int, seed: int):
    import torch

    g = torch.Generator().manual_seed(int(seed))
    return torch.randint(low, high, tuple(shape), generator=g)
