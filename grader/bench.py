"""`drill bench SLUG`: time the user's code against the reference and torch's built-in.

A drill opts in with `drills/<slug>/bench.py`, which defines
    CASES: list[dict]                       realistic sizes, e.g. {"B": 8, "H": 8, "L": 512, "D": 64}
    SMOKE_CASES: list[dict]                 optional tiny sizes, used by bench(smoke=True) (tests)
    def setup(impl, case, device, dtype)    -> (target, args, kwargs): what to call, where target is an
                                               entry point name or a Handle (e.g. a module made by impl)
    def builtin(case, device, dtype, args, kwargs)
                                            -> optional (callable, args, kwargs): torch's own version,
                                               given the reference's (local) args and kwargs
    def label(case) -> str                  optional
Correctness comes first: each case's output is compared with the reference before any
timing. The user's code is timed inside its own sandboxed process; the reference and the
built-in in this one, on the same device with the same inputs. Everything runs with one
CPU thread (the child's setting), so the comparison is like for like.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.catalog import Drill
from grader.errors import DrillError


@dataclass
class Timing:
    median_ms: float
    q1_ms: float
    q3_ms: float

    @classmethod
    def of(cls, seconds: list[float]) -> "Timing":
        ms = sorted(s * 1000 for s in seconds)
        q = statistics.quantiles(ms, n=4) if len(ms) >= 2 else [ms[0]] * 3
        return cls(statistics.median(ms), q[0], q[2])


@dataclass
class CaseResult:
    case: str
    device: str
    dtype: str
    correct: bool
    message: str = ""
    timings: dict[str, Timing] = field(default_factory=dict)

    def ratio(self, a: str, b: str) -> float | None:
        if a in self.timings and b in self.timings and self.timings[b].median_ms > 0:
            return self.timings[a].median_ms / self.timings[b].median_ms
        return None


def bench(drill: Drill, user_file: Path, devices: tuple[str, ...] | None = None, dtype: str = "float32",
          repeats: int = 20, warmup: int = 3, threads: int | None = None, smoke: bool = False) -> list[CaseResult]:
    from grader import compare
    from grader.failures import GradingFailure
    from grader.timing import time_calls
    from grader.impl import Handle, LocalImpl, RemoteImpl
    from grader.runner import _start_child, available_devices, load_drill, load_module, prepare
    from grader.sandbox import get_zygote

    spec_path = drill.folder / "bench.py"
    if not spec_path.is_file():
        raise DrillError(f"{drill.slug} has no benchmark yet", hint="benchmarks exist for: " + ", ".join(
            d.slug for d in _benchable()))
    zygote = get_zygote()
    prepare()
    import torch

    torch.set_num_threads(1)  # the child runs user code single-threaded: time everything alike
    spec = load_module(spec_path, f"drill_bench_{drill.slug}")
    loaded = load_drill(drill)
    run_devices, _ = available_devices(devices)
    child, failure = _start_child(drill, user_file, zygote, use_cuda="cuda" in run_devices)
    if failure:
        if child:
            child.close()
        raise DrillError(f"cannot benchmark: {failure[1]}", hint=failure[2])
    results = []
    try:
        for device in run_devices:
            for case in (getattr(spec, "SMOKE_CASES", spec.CASES) if smoke else spec.CASES):
                name = spec.label(case) if hasattr(spec, "label") else ", ".join(f"{k}={v}" for k, v in case.items())
                res = CaseResult(name, device, dtype, correct=True)
                user = RemoteImpl(child, drill.entry_points, device)
                user.timeout = 600.0  # realistic sizes: a slow but correct version must still be timed
                ref = LocalImpl(loaded.reference, drill.entry_points, device)
                u_target, u_args, u_kwargs = spec.setup(user, case, device, dtype)
                r_target, r_args, r_kwargs = spec.setup(ref, case, device, dtype)
                try:
                    got = (u_target(*u_args, **u_kwargs) if isinstance(u_target, Handle)
                           else getattr(user, u_target)(*u_args, **u_kwargs))
                    want = (r_target(*r_args, **r_kwargs) if isinstance(r_target, Handle)
                            else getattr(ref, r_target)(*r_args, **r_kwargs))
                    compare.assert_close(got, want)
                except Exception as e:  # noqa: BLE001 - wrong code is not timed
                    res.correct, res.message = False, getattr(e, "message", str(e))
                    results.append(res)
                    continue
                try:
                    _time_user(res, user, u_target, u_args, u_kwargs, repeats, warmup)
                except GradingFailure as e:
                    raise DrillError(f"cannot benchmark: {e.message}") from None
                r_obj = ref.objects[r_target._id] if isinstance(r_target, Handle) else getattr(loaded.reference, r_target)
                r_args_local = ref._local(r_args, [])
                r_kwargs_local = ref._local(r_kwargs, [])
                res.timings["reference"] = Timing.of(time_calls(r_obj, r_args_local, r_kwargs_local, device,
                                                                 repeats, warmup))
                if hasattr(spec, "builtin"):
                    made = spec.builtin(case, device, dtype, r_args_local, r_kwargs_local)
                    if made is not None:
                        fn, b_args, b_kwargs = made
                        res.timings["torch"] = Timing.of(time_calls(fn, b_args, b_kwargs, device, repeats, warmup))
                results.append(res)
    finally:
        child.close()
    return results


def _time_user(res, user, target, args, kwargs, repeats, warmup) -> None:
    from grader.impl import Handle

    if isinstance(target, Handle):
        res.timings["yours"] = Timing.of(target.time(*args, repeats=repeats, warmup=warmup, **kwargs))
    else:
        res.timings["yours"] = Timing.of(user.time(target, *args, repeats=repeats, warmup=warmup, **kwargs))


def _benchable() -> list[Drill]:
    from grader.catalog import load_catalog

    return [d for d in load_catalog().drills if (d.folder / "bench.py").is_file()]


def as_json(results: list[CaseResult]) -> dict:
    out = []
    for r in results:
        out.append({"case": r.case, "device": r.device, "dtype": r.dtype, "correct": r.correct, "message": r.message,
                    "timings_ms": {k: {"median": t.median_ms, "q1": t.q1_ms, "q3": t.q3_ms} for k, t in r.timings.items()},
                    "ratio_vs_reference": r.ratio("yours", "reference"), "ratio_vs_torch": r.ratio("yours", "torch"),
                    "reference_vs_torch": r.ratio("reference", "torch")})
    return {"schema_version": 1, "cases": out}
