"""Comparing outputs: one place for tolerances, and messages a person can act on.

`assert_close` never broadcasts: shape, dtype, device and type must match exactly
before values are compared. Tolerances are per dtype and meant for composite
computations (a softmax, a matmul, a norm) done in a different but correct order.
"""
from __future__ import annotations

from typing import Any

from grader.failures import Mismatch

# dtype name -> (rtol, atol). Loose enough for a different order of float ops,
# tight enough that every known mistake of every drill is still caught.
# float64 is as loose as float32 on purpose: the common idiom `scores.float().softmax(-1)`
# (Meta's LLaMA code) computes a float64 input's softmax in float32, and that is correct
# code, not a bug; float64 properties still check that float64 comes back.
TOLERANCES: dict[str, tuple[float, float]] = {
    "float64": (1e-5, 1e-6),
    "float32": (1e-4, 1e-5),
    "float16": (1e-2, 2e-3),
    "bfloat16": (4e-2, 1.5e-2),
}


def tolerance(dtype) -> tuple[float, float]:
    name = str(dtype).removeprefix("torch.")
    return TOLERANCES.get(name, (0.0, 0.0))


def describe(value: Any) -> str:
    import torch

    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)}, {str(value.dtype).removeprefix('torch.')}"
    if value is None:
        return "None"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of length {len(value)}"
    return f"{type(value).__name__} {value!r}"[:200]


def assert_close(got: Any, want: Any, *, what: str = "output", rtol: float | None = None,
                 atol: float | None = None, check_dtype: bool = True) -> None:
    """Raise Mismatch with a readable message unless `got` matches `want`.

    Works on tensors, numbers, strings, bytes and nested lists/tuples/dicts of them.
    """
    import torch

    if isinstance(want, torch.Tensor):
        if not isinstance(got, torch.Tensor):
            raise Mismatch(f"{what}: expected {describe(want)}, got {describe(got)}")
        _tensor_close(got, want, what, rtol, atol, check_dtype)
    elif isinstance(want, (list, tuple)):
        if not isinstance(got, (list, tuple)) or len(got) != len(want):
            raise Mismatch(f"{what}: expected {describe(want)}, got {describe(got)}")
        for i, (g, w) in enumerate(zip(got, want)):
            assert_close(g, w, what=f"{what}[{i}]", rtol=rtol, atol=atol, check_dtype=check_dtype)
    elif isinstance(want, dict):
        if not isinstance(got, dict):
            raise Mismatch(f"{what}: expected a dict, got {describe(got)}")
        if set(got) != set(want):
            missing, extra = set(want) - set(got), set(got) - set(want)
            raise Mismatch(f"{what}: keys differ (missing {sorted(map(repr, missing))[:5]}, "
                           f"unexpected {sorted(map(repr, extra))[:5]})")
        for k in want:
            assert_close(got[k], want[k], what=f"{what}[{k!r}]", rtol=rtol, atol=atol, check_dtype=check_dtype)
    elif isinstance(want, float) and not isinstance(got, bool) and isinstance(got, (int, float)):
        r, a = (rtol or 1e-7), (atol or 1e-9)
        if not abs(got - want) <= a + r * abs(want):
            raise Mismatch(f"{what}: expected {want!r}, got {got!r}")
    else:
        if type(got) is not type(want) and not (isinstance(got, int) and isinstance(want, int)):
            raise Mismatch(f"{what}: expected {describe(want)}, got {describe(got)}")
        if got != want:
            raise Mismatch(f"{what}: expected {want!r}, got {got!r}"[:600])


def _tensor_close(got, want, what, rtol, atol, check_dtype) -> None:
    import torch

    if tuple(got.shape) != tuple(want.shape):
        raise Mismatch(f"{what}: expected shape {tuple(want.shape)}, got shape {tuple(got.shape)}")
    if check_dtype and got.dtype != want.dtype:
        raise Mismatch(f"{what}: expected dtype {str(want.dtype).removeprefix('torch.')}, "
                       f"got {str(got.dtype).removeprefix('torch.')}")
    if got.device.type != want.device.type:
        raise Mismatch(f"{what}: expected a tensor on {want.device}, got one on {got.device}")
    if not (want.is_floating_point() or want.is_complex()):
        if torch.equal(got.to(want.dtype), want):
            return
        diff = (got.to(want.dtype) != want).nonzero()
        idx = tuple(diff[0].tolist())
        raise Mismatch(f"{what}: {len(diff)} of {want.numel()} elements differ; first at index {idx}: "
                       f"expected {want[idx].item()!r}, got {got[idx].item()!r}")
    r0, a0 = tolerance(want.dtype)
    rtol = r0 if rtol is None else rtol
    atol = a0 if atol is None else atol
    g, w = got.detach().to(torch.float64), want.detach().to(torch.float64)
    nan_g, nan_w = torch.isnan(g), torch.isnan(w)
    if (nan_g != nan_w).any():
        idx = tuple((nan_g != nan_w).nonzero()[0].tolist())
        where = "NaN where a number was expected" if nan_g[idx] else "a number where NaN was expected"
        raise Mismatch(f"{what}: {int((nan_g & ~nan_w).sum())} NaN value(s) in the output; first at index {idx} "
                       f"({where}: expected {w[idx].item()!r}, got {g[idx].item()!r})")
    # an infinity in the reference (a masked logit, say) must be matched exactly
    w_inf = torch.isinf(w)
    inf_bad = w_inf & (g != w)
    if inf_bad.any():
        idx = tuple(inf_bad.nonzero()[0].tolist())
        raise Mismatch(f"{what}: {int(inf_bad.sum())} value(s) should be {w[idx].item()} and are not; first at "
                       f"index {idx}: expected {w[idx].item()}, got {g[idx].item():.6g}")
    finite = ~nan_w & ~w_inf
    diff = torch.where(finite, (g - w).abs(), torch.zeros_like(g))   # inf where got is inf and want is not
    bad = diff > atol + rtol * torch.where(finite, w.abs(), torch.zeros_like(w))
    if not bad.any():
        return
    idx = tuple(torch.nonzero(diff == diff.max())[0].tolist()) if diff.numel() else ()
    rel = (diff / w.abs().clamp_min(1e-12))[finite & (w != 0)]
    raise Mismatch(
        f"{what}: {int(bad.sum())} of {want.numel()} values differ beyond tolerance "
        f"(rtol={rtol:g}, atol={atol:g} for {str(want.dtype).removeprefix('torch.')}); "
        f"max abs diff {diff.max().item():.4g} at index {idx}: expected {w[idx].item():.6g}, "
        f"got {g[idx].item():.6g}; max rel diff {rel.max().item() if rel.numel() else 0.0:.4g}")


def is_close(got: Any, want: Any, **kw) -> bool:
    try:
        assert_close(got, want, **kw)
        return True
    except Mismatch:
        return False
