"""Name the likely bug: replay the user's calls on each known mistake and compare.

For a failing property we have the calls the property made into the user's code and
what came back (the shrunk counterexample, plus a few fresh, larger examples drawn
without shrinking, since a tiny shrunk case can fit several mistakes at once). A
mistake "matches" when, replayed on the same inputs, it returns what the user's code
returned on every call, on every example where the user's code differs from the
reference.
"""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from grader import compare
from grader.failures import GradingFailure, UserRaised
from grader.impl import Call, Handle, Impl, LocalImpl
from grader.props import Mistake


def namespace_with(reference: Any, entry_points: tuple[str, ...], overrides: dict[str, Any]) -> SimpleNamespace:
    """The reference's entry points, some replaced (a mistake, an alternative)."""
    ns = {name: getattr(reference, name) for name in entry_points if hasattr(reference, name)}
    ns.update(overrides)
    return SimpleNamespace(**ns)


def replay(log: list[Call], impl: Impl) -> list[Any]:
    """Make the same calls on another implementation; errors come back as GradingFailure values."""
    handles: dict[int, Handle] = {}
    out: list[Any] = []

    def remap(value):
        if isinstance(value, Handle):
            return handles.get(value._id, value)
        if isinstance(value, list):
            return [remap(v) for v in value]
        if isinstance(value, tuple):
            return tuple(remap(v) for v in value)
        if isinstance(value, dict):
            return {k: remap(v) for k, v in value.items()}
        return value

    for call in log:
        target = None
        if call.target is not None:
            mapped = handles.get(call.target)
            if mapped is None:
                out.append(GradingFailure("unmapped object"))
                continue
            target = mapped._id
        try:
            result = impl._do(call.op, target, call.name, remap(call.args), remap(call.kwargs),
                              extra=dict(call.extra))
        except GradingFailure as e:
            result = e
        if isinstance(call.result, Handle) and isinstance(result, Handle):
            handles[call.result._id] = result
        out.append(result)
    return out


def _same_outcome(user_call: Call, other: Any) -> bool:
    if user_call.error is not None or isinstance(other, GradingFailure):
        if user_call.error is None or not isinstance(other, GradingFailure):
            return False
        # both raised: the same kind of failure, and for exceptions the same exception type
        mine = user_call.exc
        if isinstance(mine, UserRaised) or isinstance(other, UserRaised):
            return isinstance(mine, UserRaised) and isinstance(other, UserRaised) and mine.exc_type == other.exc_type
        return type(mine) is type(other)
    if isinstance(user_call.result, Handle) or isinstance(other, Handle):
        return isinstance(user_call.result, Handle) and isinstance(other, Handle)
    return compare.is_close(user_call.result, other)


def matches(log: list[Call], results: list[Any]) -> bool:
    return all(_same_outcome(c, r) for c, r in zip(log, results))


def diagnose(logs: list[list[Call]], reference: Any, mistakes: list[Mistake],
             entry_points: tuple[str, ...], device: str) -> list[Mistake]:
    """The mistakes consistent with every informative log (one where the user differs from the reference)."""
    informative = []
    for log in logs:
        if not log:
            continue
        ref_results = replay(log, LocalImpl(reference, entry_points, device))
        if not matches(log, ref_results):
            informative.append(log)
    if not informative:
        return []
    found = []
    for m in mistakes:
        ns = namespace_with(reference, entry_points, m.overrides)
        if all(matches(log, replay(log, LocalImpl(ns, entry_points, device))) for log in informative):
            found.append(m)
    return found
