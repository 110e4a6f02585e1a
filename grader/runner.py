"""Grade one drill: run its spec's properties against an implementation.

`grade()` is the engine's entry point for `drill run`, watch and mock. It returns a
`Result` (grader.result) and never raises for anything the user's code does; a
DrillError means the request itself was wrong (no such file...).

Torch and hypothesis are imported inside `grade()`, after the zygote (which imports
torch in its own process) has been started, so both imports overlap.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from grader import paths
from grader.catalog import Drill
from grader.errors import DrillError
from grader.result import Counterexample, PropertyResult, Result

PROFILES: dict[str, dict[str, Any]] = {
    # examples per property (float32; other dtypes get half), derandomize, use the example database
    # 15: a known mistake slips through about 1 run in 400-1000 (benchmarks/mistake_detection.py);
    # a failure once found is replayed first from the database, and --thorough runs 300
    "default": {"examples": 15, "derandomize": False, "database": True},
    # watch/mock first verdict: a few examples (most bugs fail the first), replaying past failures;
    # the failure is shown as found (no shrinking) and a default run follows to refine it
    "quick": {"examples": 4, "derandomize": False, "database": True, "shrink": False},
    "thorough": {"examples": 300, "derandomize": False, "database": True},
    "ci": {"examples": 20, "derandomize": True, "database": False},
    # the project's tests of known-wrong variants: they fail fast, no need to shrink
    "mistakes": {"examples": 20, "derandomize": True, "database": False, "shrink": False},
}
DIAGNOSIS_EXAMPLES = 3
SHRINK_LIMITS = {"shrinks": 40, "seconds": 1.5}  # per failing property: a readable example, quickly


def _bound_shrinking() -> None:
    """Hypothesis shrinks up to 500 times / 300 s by default: far too long for a grader.

    These are module constants of hypothesis' engine, read at run time; if a future
    version renames them, shrinking is simply unbounded again (slower, still correct).
    """
    try:
        from hypothesis.internal.conjecture import engine
    except ImportError:  # pragma: no cover
        return
    if hasattr(engine, "MAX_SHRINKS"):
        engine.MAX_SHRINKS = SHRINK_LIMITS["shrinks"]
    if hasattr(engine, "MAX_SHRINKING_SECONDS"):
        engine.MAX_SHRINKING_SECONDS = SHRINK_LIMITS["seconds"]


class Cancelled(BaseException):
    """The caller's `cancel()` said stop (watch: the file changed again); the result is dropped.

    A BaseException so that neither hypothesis nor the property's own handlers swallow it.
    """


class _Abort(BaseException):
    """Carries a failure out of hypothesis without shrinking (hypothesis re-raises BaseException)."""

    def __init__(self, failure):
        super().__init__(failure.message)
        self.failure = failure


@dataclass
class Loaded:
    spec: Any
    reference: Any
    mistakes: list
    props: list


def load_module(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise DrillError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_LOADED: dict[str, Loaded] = {}


def load_drill(drill: Drill) -> Loaded:
    """Spec, reference and mistakes of a drill (cached: warm graders load them once)."""
    from grader.props import mistakes_of, props_of

    if drill.slug not in _LOADED:
        reference = load_module(drill.solution_path, f"drill_reference_{drill.slug}")
        spec = load_module(drill.spec_path, f"drill_spec_{drill.slug}")
        mistakes = load_module(drill.mistakes_path, f"drill_mistakes_{drill.slug}") if drill.mistakes_path.exists() else None
        _LOADED[drill.slug] = Loaded(spec, reference, mistakes_of(mistakes) if mistakes else [], props_of(spec))
    return _LOADED[drill.slug]


def prepare() -> None:
    """Import torch and hypothesis and set the grader's own torch state (idempotent)."""
    import hypothesis  # noqa: F401
    import torch

    # the grader's tensors are tiny: one thread avoids OpenMP contention (10x on a busy 2-core box)
    torch.set_num_threads(1)


def cuda_available() -> bool:
    os.environ.setdefault("PYTORCH_NVML_BASED_CUDA_CHECK", "1")  # keep forks of this process CUDA-safe
    import torch

    return torch.cuda.is_available()


def available_devices(requested: tuple[str, ...] | None = None) -> tuple[list[str], dict[str, str]]:
    """(devices to run, {device: 'ran' | 'skipped: ...'})."""
    wanted = requested or ("cpu", "cuda")
    run, report = [], {}
    for dev in wanted:
        if dev == "cpu":
            run.append("cpu")
            report["cpu"] = "ran"
        elif dev == "cuda":
            if cuda_available():
                run.append("cuda")
                report["cuda"] = "ran"
            else:
                report["cuda"] = "skipped: no GPU"
        else:
            report[dev] = "skipped: unknown device"
    return run, report


def grade(drill: Drill, user_file: Path | None = None, *, profile: str = "default", seed: int | None = None,
          devices: tuple[str, ...] | None = None, impl_factory: Callable[[str], Any] | None = None,
          fail_fast: bool = False, diagnose: bool = True, check_pristine: bool = True,
          budget: float | None = None, cancel: Callable[[], bool] | None = None) -> Result:
    """Grade `user_file` (or, for the project's tests, `impl_factory(device)`) against the spec.

    `cancel`, when given, is polled before every example (and before the diagnosis); once it
    returns True the run stops at once and `Cancelled` is raised (the user's child is closed first).
    """
    from grader import guard
    from grader.workspace import is_pristine

    started = time.monotonic()
    result = Result(drill=drill.slug, file=str(user_file) if user_file else "<in-process>", profile=profile, seed=seed)
    if impl_factory is None:
        if user_file is None or not Path(user_file).is_file():
            raise DrillError(f"no such file: {user_file}")
        user_file = Path(user_file).resolve()
        if check_pristine and is_pristine(drill, user_file):
            result.status = "not_started"
            result.message = f"{drill.slug} is not started: the file is still the untouched stub"
            result.next_step = (f"read the prompt with `drill show {drill.slug}`, write your solution in {user_file}, "
                                f"then run `drill run {drill.slug}` again (or `drill watch {drill.slug}` to re-grade on every save)")
            return result.finish(started)
        findings = guard.scan_source(user_file.read_text(encoding="utf-8", errors="replace"), drill.forbidden,
                                     drill.entry_points)
        if findings:
            result.status = "error"
            result.message = "forbidden: " + "; ".join(f"line {f.line}: your code {f.message}" for f in findings[:5])
            result.next_step = "write it with basic tensor operations; `drill show` lists what is allowed"
            return result.finish(started)
        from grader.sandbox import get_zygote

        zygote = get_zygote()  # starts importing torch in its own process now
    prepare()
    loaded = load_drill(drill)
    run_devices, result.devices = available_devices(devices)
    child = None
    if impl_factory is None:
        child, failure = _start_child(drill, user_file, zygote, use_cuda="cuda" in run_devices)
        if failure:
            result.status, result.message, result.next_step, result.detail = failure
            result.output = child.printed if child else ""
            if child:
                child.close()
            return result.finish(started)
        missing = [e for e in drill.entry_points if e not in child.greeting.get("names", [])]
        if missing:
            result.status = "error"
            result.message = f"your file defines no {', '.join(missing)}"
            result.next_step = f"keep the stub's names: {', '.join(drill.entry_points)}"
            result.output = child.printed
            child.close()
            return result.finish(started)

    from grader.impl import LocalImpl, RemoteImpl

    def make_impl(device: str):
        if impl_factory is not None:
            return impl_factory(device)
        return RemoteImpl(child, drill.entry_points, device)

    deadline = started + (budget or drill.run_budget)
    failing: list[tuple[Any, str, str, Any]] = []
    fatal = None
    try:
        for p in loaded.props:
            for device in run_devices:
                if device not in p.devices:
                    continue
                for dtype in p.dtypes:
                    if fatal is not None or time.monotonic() > deadline or (fail_fast and failing):
                        why = ("run stopped: " + fatal.reason if fatal is not None
                               else "time budget used up" if time.monotonic() > deadline else "stopped at the first failure")
                        result.properties.append(PropertyResult(p.name, p.title, device, dtype, "skipped", why))
                        continue
                    ref = LocalImpl(loaded.reference, drill.entry_points, device)
                    # only the first failure is shrunk (it is the one shown); later ones fail fast
                    pr, trial, err = _run_property(drill, p, device, dtype, make_impl, ref, profile, seed, cancel=cancel,
                                                   shrink=not failing)
                    result.properties.append(pr)
                    if err is not None and getattr(err, "status", "") == "error":
                        fatal = err
                    elif pr.status == "fail":
                        failing.append((p, device, dtype, trial))
        if diagnose and failing and fatal is None and loaded.mistakes:
            if cancel is not None and cancel():
                raise Cancelled()
            result.diagnosis = _diagnose(drill, loaded, failing, make_impl, profile)
    finally:
        if child is not None:
            result.output = child.printed
            child.close()
    _summarise(result, drill, fatal)
    return result.finish(started)


def _start_child(drill: Drill, user_file: Path, zygote, use_cuda: bool = False):
    """Start the user's process; (child, None) or (child|None, (status, message, next, detail))."""
    from grader.failures import Fatal
    from grader.sandbox import Child, ChildConfig

    cfg = ChildConfig(
        user_file=str(user_file), source=user_file.read_bytes(), module_name=f"user_{drill.slug}", forbidden=drill.forbidden,
        protected=(str(paths.solutions_dir()), str(paths.content_root() / "tests")),
        memory_mb=drill.memory_mb, cpu_seconds=int(drill.run_budget * 2) + 30,
        use_cuda=use_cuda)  # CUDA needs a huge address space: no RLIMIT_AS then (see sandbox)
    try:
        child = Child(cfg, drill.call_timeout, zygote)
    except Fatal as e:
        return None, ("error", f"importing your file failed: {e.message}", "fix the file and run again", e.detail)
    g = child.greeting
    if g["kind"] == "internal":
        return child, ("error", f"the grading process broke while importing your file: {g.get('message')}",
                       "if your file is fine, this is a grader bug: please report it", g.get("traceback", ""))
    if g["kind"] == "syntax":
        text = g.get("text", "")
        pointer = " " * max(int(g.get("offset", 1)) - 1, 0) + "^" if text else ""
        return child, ("error", f"syntax error in {user_file.name}, line {g['line']}: {g['message']}",
                       "fix the syntax error and run again", f"{text}\n{pointer}".rstrip())
    if g["kind"] == "import_error":
        return child, ("error", f"importing your file raised {g['type']}: {g['message']}",
                       "code at the top level of your file runs on import; keep it to definitions",
                       g.get("traceback", ""))
    return child, None


def _settings(drill: Drill, p, device: str, dtype: str, profile: str, seed: int | None, examples: int | None = None,
              phases=None, shrink: bool = True):
    from hypothesis import HealthCheck, Phase, Verbosity, settings
    from hypothesis.database import DirectoryBasedExampleDatabase

    _bound_shrinking()
    if phases is None and not (shrink and PROFILES[profile].get("shrink", True)):
        phases = [Phase.explicit, Phase.reuse, Phase.generate]

    conf = PROFILES[profile]
    n = examples or max(2, int(conf["examples"] * p.weight * (1.0 if dtype in ("float32", "int64") else 0.5)))
    db = None
    if conf["database"] and seed is None:
        db = DirectoryBasedExampleDatabase(str(paths.hypothesis_db_dir()))
    kw = dict(max_examples=n, deadline=None, derandomize=conf["derandomize"], database=db,
              suppress_health_check=list(HealthCheck), report_multiple_bugs=False, print_blob=False,
              verbosity=Verbosity.quiet)
    if phases is not None:
        kw["phases"] = phases
    return settings(**kw)


def _hypothesis_test(drill, p, device, dtype, make_impl, ref, sets, seed, state, diagnosing=False, cancel=None):
    from hypothesis import given
    from hypothesis import seed as hseed
    from hypothesis import strategies as st

    from grader.failures import Fatal, NotImplementedYet
    from grader.props import Trial

    impl = make_impl(device)

    def body(data):
        if cancel is not None and cancel():
            raise Cancelled()
        impl.log = []
        ref.log = []
        trial = Trial(data, impl, ref, device, dtype, diagnosing=diagnosing)
        state["last"] = trial
        state.setdefault("trials", []).append(trial)
        state["examples"] = state.get("examples", 0) + 1
        try:
            p.fn(trial)
        except (Fatal, NotImplementedYet) as e:
            raise _Abort(e) from None  # nothing to shrink: stop this property at once

    test = given(st.data())(sets(body))
    if seed is not None:
        test = hseed(seed)(test)
    key = f"{drill.slug}/{p.name}/{device}/{dtype}".encode()
    test._hypothesis_internal_add_digest = key
    # the example database's key, given rather than derived: hypothesis would otherwise hash the
    # source of `body` (inspect.getsource, ~3 ms) on every property run
    test._hypothesis_internal_database_key = hashlib.sha384(b"drill-examples/" + key).digest()
    return test


def _run_property(drill, p, device, dtype, make_impl, ref, profile, seed, shrink=True, cancel=None):
    """Run one property on one device and dtype; (PropertyResult, last trial, failure or None)."""
    from hypothesis.errors import Flaky, HypothesisException

    from grader.failures import GradingFailure

    state: dict[str, Any] = {}
    started = time.monotonic()
    sets = _settings(drill, p, device, dtype, profile, seed, shrink=shrink)
    test = _hypothesis_test(drill, p, device, dtype, make_impl, ref, sets, seed, state, cancel=cancel)
    pr = PropertyResult(p.name, p.title, device, dtype, "pass")
    err = None
    try:
        try:
            test()
        except _Abort as a:
            raise a.failure from None
    except GradingFailure as e:
        err = e
        pr.status = "error" if err.status == "error" else "fail"
        pr.code = err.code
        pr.message = err.message
        pr.detail = err.detail or None
    except Flaky as e:
        pr.status, pr.code = "fail", "flaky"
        pr.message = ("your code gave different results for the same inputs (randomness, or state kept "
                      f"between calls?): {str(e).splitlines()[0][:300]}")
    except HypothesisException as e:
        pr.status, pr.code, pr.message = "error", "grader", f"the grader could not run this property: {e}"
    except Exception as e:  # a bug in the spec or the reference: say so, never blame the user
        pr.status, pr.code = "error", "grader"
        pr.message = f"grader error in property {p.name}: {type(e).__name__}: {e}"
    pr.examples = state.get("examples", 0)
    pr.duration_s = round(time.monotonic() - started, 3)
    trial = state.get("last")
    if pr.status != "pass" and trial is not None:
        pr.counterexample = Counterexample.from_trial(trial)
    return pr, trial, err


def _diagnose(drill, loaded, failing, make_impl, profile) -> list[dict]:
    """Logs of each failing property (shrunk + a few fresh examples) checked against the mistakes."""
    from hypothesis import Phase

    from grader.diagnose import diagnose
    from grader.failures import GradingFailure
    from grader.impl import LocalImpl

    found: dict[str, dict] = {}
    for p, device, dtype, trial in failing[:4]:
        logs = [trial.impl.log] if trial is not None else []
        state: dict[str, Any] = {}
        sets = _settings(drill, p, device, dtype, "ci", None, examples=DIAGNOSIS_EXAMPLES, phases=[Phase.generate])
        ref = LocalImpl(loaded.reference, drill.entry_points, device)
        test = _hypothesis_test(drill, p, device, dtype, make_impl, ref, sets, None, state, diagnosing=True)
        try:
            test()
        except (_Abort, GradingFailure, Exception):  # noqa: BLE001 - a raising example just gives a partial log
            pass
        logs += [t.impl.log for t in state.get("trials", [])]
        candidates = [m for m in loaded.mistakes if m.diagnosable]  # random or slow ones cannot be matched
        for m in diagnose(logs, loaded.reference, candidates, drill.entry_points, device):
            entry = found.setdefault(m.id, {"id": m.id, "title": m.title, "explain": m.explain, "properties": []})
            if p.name not in entry["properties"]:
                entry["properties"].append(p.name)
    return list(found.values())


def _summarise(result: Result, drill: Drill, fatal) -> None:
    props = result.properties
    ran = [p for p in props if p.status != "skipped"]
    failed = [p for p in props if p.status in ("fail", "error")]
    if fatal is not None:
        result.status = "error"
        result.message = fatal.message
        result.detail = fatal.detail or None
        result.next_step = "fix it and run again"
    elif ran and all(p.code == "not_implemented" for p in failed) and len(failed) == len(ran):
        result.status = "not_started"
        result.message = f"{drill.slug} is not started: every entry point still raises NotImplementedError"
        result.next_step = f"edit {result.file}, then run `drill run {drill.slug}`"
    elif any(p.status == "error" for p in failed):
        result.status = "error"
        first = next(p for p in failed if p.status == "error")
        result.message = first.message or "error"
        result.next_step = "this looks like a grader problem; please report it" if first.code == "grader" else "fix it and run again"
    elif failed:
        result.status = "fail"
        names = sorted({p.name for p in failed})
        result.message = f"{len(names)} of {len({p.name for p in ran})} properties fail: {', '.join(names)}"
        result.next_step = (f"look at the first counterexample; `drill hint {drill.slug}` gives the next hint")
    elif ran:
        result.status = "pass"
        result.message = f"all {len({p.name for p in ran})} properties hold on {', '.join(sorted({p.device for p in ran}))}"
        result.next_step = f"compare with the reference: `drill solution {drill.slug}`; or try `drill bench {drill.slug}`"
    else:
        result.status = "error"
        result.message = "no property ran"
