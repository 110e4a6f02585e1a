"""The result of grading, and its stable JSON form (documented in docs/json.md).

Bump SCHEMA_VERSION on any change that could break a consumer of `drill run --json`.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

SCHEMA_VERSION = 1
STATUSES = ("pass", "fail", "error", "not_started")
PROPERTY_STATUSES = ("pass", "fail", "error", "skipped")
SMALL_TENSOR = 64  # tensors with at most this many elements are shown in full


def show_value(value: Any, limit: int = 600) -> dict:
    """A JSON-friendly description of a value: shape and dtype, and the values when small."""
    try:
        import torch
    except ImportError:  # pragma: no cover
        torch = None
    if torch is not None and isinstance(value, torch.Tensor):
        out = {"shape": list(value.shape), "dtype": str(value.dtype).removeprefix("torch.")}
        if value.numel() <= SMALL_TENSOR:
            with torch.no_grad():
                shown = value.detach().cpu()
                shown = shown.float() if shown.dtype in (torch.float16, torch.bfloat16) else shown
                text = repr(shown.tolist()) if shown.dim() else repr(shown.item())
            out["values"] = text[:limit] + ("..." if len(text) > limit else "")
        return out
    if isinstance(value, (list, tuple)) and value and torch is not None and any(isinstance(v, torch.Tensor) for v in value):
        return {"items": [show_value(v, limit) for v in value]}
    if hasattr(value, "_impl") and hasattr(value, "_type"):  # a Handle
        return {"repr": f"<{value._type} object>"}
    text = repr(value)
    return {"repr": text[:limit] + ("..." if len(text) > limit else "")}


@dataclass
class Counterexample:
    draws: list[dict] = field(default_factory=list)
    calls: list[dict] = field(default_factory=list)

    @classmethod
    def from_trial(cls, trial) -> "Counterexample":
        import inspect

        ce = cls()
        for label, value in trial.draws:
            if label.startswith("seed of"):
                continue
            ce.draws.append({"label": label, **show_value(value)})
        impl = trial.impl
        ref_ns = getattr(trial.ref, "namespace", None)
        for call in impl.log:
            names: list[str] = []
            if call.target is None and call.op != "getattr" and ref_ns is not None:
                try:
                    names = list(inspect.signature(getattr(ref_ns, call.name)).parameters)
                except (TypeError, ValueError, AttributeError):
                    names = []
            args = [{"name": names[i] if i < len(names) else f"arg{i + 1}", **show_value(a)}
                    for i, a in enumerate(call.args)]
            args += [{"name": k, **show_value(v)} for k, v in call.kwargs.items()]
            entry = {"call": call.label(impl.handle_types), "op": call.op, "args": args}
            if call.error:
                entry["error"] = call.error
            else:
                entry["result"] = show_value(call.result)
            ce.calls.append(entry)
        return ce


@dataclass
class PropertyResult:
    name: str
    title: str
    device: str
    dtype: str
    status: str
    message: str | None = None
    code: str | None = None            # mismatch | property | exception | not_implemented | ... | None on pass
    detail: str | None = None          # a trimmed traceback, when there is one
    examples: int = 0
    duration_s: float = 0.0
    counterexample: Counterexample | None = None


@dataclass
class Result:
    drill: str
    file: str
    status: str = "error"
    message: str = ""
    next_step: str | None = None
    detail: str | None = None
    properties: list[PropertyResult] = field(default_factory=list)
    diagnosis: list[dict] = field(default_factory=list)
    devices: dict[str, str] = field(default_factory=dict)
    output: str = ""
    profile: str = "default"
    seed: int | None = None
    duration_s: float = 0.0

    def finish(self, started: float) -> "Result":
        self.duration_s = round(time.monotonic() - started, 3)
        return self

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    def failing(self) -> list[PropertyResult]:
        return [p for p in self.properties if p.status in ("fail", "error")]

    def to_dict(self) -> dict:
        d = asdict(self)
        d["schema_version"] = SCHEMA_VERSION
        return d
