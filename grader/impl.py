"""Implementations a property can call: the user's (in a child process) or a local one.

Specs call `t.impl.scaled_dot_product_attention(q, k, v)` or
`m = t.impl.RMSNorm(8); m.load_state_dict(sd); m(x)` without knowing where the code
runs. Every call:
  - gets its own copies of the inputs (a mutated input is reported, never propagated),
  - runs on the property's device, and its tensors come back on that device,
  - is checked for a wrong output device and for in-place changes to its inputs,
  - is recorded (`Impl.log`) for the counterexample and for diagnosis.
Objects that cannot be copied back (a module, a cache) stay where they were made and
are used through a `Handle`.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from grader import wire
from grader.failures import (BadOutput, Fatal, InputMutated, NotImplementedYet, UserRaised,
                             WrongDevice)


@dataclass
class Call:
    """One recorded call: what was asked, with which inputs, and what came back."""
    op: str                 # call | getattr | grad
    target: int | None      # handle id, None for the module's top level
    name: str               # entry point, method or attribute ('' calls the object itself)
    args: tuple
    kwargs: dict
    result: Any = None
    error: str | None = None
    extra: dict = field(default_factory=dict)
    seconds: float = 0.0    # wall time of the call inside the implementation (not the transfer)
    exc: Exception | None = field(default=None, repr=False)  # what the call raised, if anything

    def label(self, handle_types: dict[int, str]) -> str:
        owner = "" if self.target is None else f"<{handle_types.get(self.target, 'object')}>"
        if self.op == "getattr":
            return f"{owner}.{self.name}"
        if owner:
            return f"{owner}.{self.name}" if self.name else owner
        return self.name


class Handle:
    """An object living inside an implementation (e.g. the user's nn.Module)."""

    def __init__(self, impl: "Impl", hid: int, type_name: str, is_callable: bool):
        object.__setattr__(self, "_impl", impl)
        object.__setattr__(self, "_id", hid)
        object.__setattr__(self, "_type", type_name)
        object.__setattr__(self, "_callable", is_callable)

    def __call__(self, *args, **kwargs):
        return self._impl._do("call", self._id, "", args, kwargs)

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return self._impl._do("getattr", self._id, name, (), {})

    def __setattr__(self, name: str, value: Any) -> None:
        self._impl._do("setattr", self._id, name, (value,), {})

    def grad(self, *args, wrt: tuple[int, ...] = (), grad_output=None, **kwargs) -> dict:
        """Run forward and backward in the implementation; gradients of inputs and parameters."""
        return self._impl._do("grad", self._id, "", args, kwargs,
                              extra={"wrt": list(wrt), "grad_output": grad_output})

    def time(self, *args, repeats: int = 20, warmup: int = 3, **kwargs) -> list[float]:
        """Call this object repeatedly where it lives; the wall time of each call."""
        return self._impl._do("time", self._id, "", args, kwargs,
                              extra={"repeats": repeats, "warmup": warmup, "timeout": 600.0})

    def collect(self, limit: int = 1_000_000) -> list:
        """Iterate this object (an iterator or generator) where it lives; up to `limit` items."""
        return self._impl._do("collect", self._id, "", (), {}, extra={"limit": int(limit)})

    def __repr__(self) -> str:
        return f"<{self._type} object>"


class Impl:
    """Common behaviour of RemoteImpl and LocalImpl."""

    def __init__(self, entry_points: tuple[str, ...], device: str = "cpu"):
        self.entry_points = entry_points
        self.device = device
        self.log: list[Call] = []
        self.handle_types: dict[int, str] = {}
        self.timeout: float | None = None   # per-call time limit override (None: the drill's)

    def __getattr__(self, name: str):
        if name.startswith("_") or name not in self.entry_points:
            raise AttributeError(name)

        def entry(*args, **kwargs):
            return self._do("call", None, name, args, kwargs)

        entry.__name__ = name
        return entry

    def grad(self, name: str, *args, wrt: tuple[int, ...] = (), grad_output=None, **kwargs) -> dict:
        return self._do("grad", None, name, args, kwargs, extra={"wrt": list(wrt), "grad_output": grad_output})

    def time(self, name: str, *args, repeats: int = 20, warmup: int = 3, **kwargs) -> list[float]:
        """Call an entry point repeatedly where it lives; the wall time of each call."""
        return self._do("time", None, name, args, kwargs,
                        extra={"repeats": repeats, "warmup": warmup, "timeout": 600.0})

    def _do(self, op: str, target, name, args, kwargs, extra=None):
        call = Call(op, target, name, args, kwargs, extra=extra or {})
        self.log.append(call)
        try:
            call.result = self._run(call)
        except Exception as e:
            call.error = f"{type(e).__name__}: {e}"
            call.exc = e
            raise
        if op == "getattr" and isinstance(call.result, Handle) and call.result._callable:
            # a bound method: label later calls of it as `<Owner>.method`, not `<method>`
            owner = self.handle_types.get(target, "object") if target is not None else ""
            self.handle_types[call.result._id] = f"{owner}.{name}" if owner else name
        return call.result

    def _run(self, call: Call):  # pragma: no cover - abstract
        raise NotImplementedError

    def _make_handle(self, marker: dict) -> Handle:
        self.handle_types[marker["h"]] = marker.get("type", "object")
        return Handle(self, marker["h"], marker.get("type", "object"), bool(marker.get("callable")))

    def _check_devices(self, call: Call, meta: list) -> None:
        import torch

        want = torch.device(self.device)
        for _tensor, dev, _alias in meta:
            got = torch.device(dev)
            if got.type != want.type:
                raise WrongDevice(f"{call.label(self.handle_types)} returned a tensor on {dev} for inputs on "
                                  f"{self.device}; create new tensors on the inputs' device "
                                  "(e.g. torch.arange(n, device=x.device))")

    def _check_mutated(self, call: Call, mutated: list[int]) -> None:
        if mutated:
            names = _input_names(call, mutated)
            raise InputMutated(f"{call.label(self.handle_types)} changed its input {names} in place; "
                               "work on a copy (out-of-place ops) so the caller's tensors stay intact")

    def close(self) -> None:
        pass


def _input_names(call: Call, indices: list[int]) -> str:
    import torch

    labels: list[str] = []

    def walk(value, label):
        if isinstance(value, torch.Tensor):
            labels.append(label)
        elif isinstance(value, (list, tuple)):
            for i, v in enumerate(value):
                walk(v, f"{label}[{i}]")
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{label}[{k!r}]")

    for i, a in enumerate(call.args):
        walk(a, f"argument {i + 1}")
    for k, v in call.kwargs.items():
        walk(v, k)
    return ", ".join(labels[i] for i in indices if i < len(labels)) or "(an input)"


def _to_wire_args(value: Any) -> Any:
    """Handles become RemoteRefs; tensors go to the CPU for the trip."""
    import torch

    if isinstance(value, Handle):
        return wire.RemoteRef(value._id)
    if isinstance(value, torch.Tensor):
        return wire.WireTensor(tuple(wire.tensor_to_wire(value)))
    if isinstance(value, list):
        return [_to_wire_args(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_to_wire_args(v) for v in value)
    if isinstance(value, dict):
        return {k: _to_wire_args(v) for k, v in value.items()}
    return value


class RemoteImpl(Impl):
    """The user's code, in a sandboxed child process (grader.sandbox.Child)."""

    def __init__(self, child, entry_points: tuple[str, ...], device: str = "cpu"):
        super().__init__(entry_points, device)
        self.child = child

    def _run(self, call: Call):
        extra = dict(call.extra)
        if "grad_output" in extra and extra["grad_output"] is not None:
            extra["grad_output"] = wire.WireTensor(tuple(wire.tensor_to_wire(extra["grad_output"])))
        msg = (call.op, call.target, call.name, _to_wire_args(call.args), _to_wire_args(call.kwargs),
               self.device, extra)
        reply = self.child.request(msg, timeout=call.extra.get("timeout") or self.timeout)
        call.seconds = float(reply.get("seconds", 0.0) or 0.0)
        return self._interpret(call, reply)

    def _interpret(self, call: Call, reply: dict):
        kind = reply.get("kind")
        if kind == "raise":
            self._raise_user(call, reply)
        if kind == "internal":
            raise Fatal(f"the grading process broke while running your code: {reply.get('message')}",
                        str(reply.get("traceback", "")), reason="crash")
        if kind != "ok":
            raise Fatal(f"unexpected reply {kind!r} from the child process")
        meta: list = []
        try:
            value = wire.decode(reply["value"], self._make_handle, self.device, meta)
            if call.op == "grad":
                value = {"output": value,
                         "input_grads": wire.decode(reply["input_grads"], self._make_handle, self.device, meta),
                         "param_grads": wire.decode(reply.get("param_grads", {"d": []}), self._make_handle,
                                                    self.device, meta)}
        except wire.BadReturn as e:
            raise BadOutput(f"{call.label(self.handle_types)}: {e}") from None
        self._check_devices(call, meta)
        self._check_mutated(call, reply.get("mutated", []))
        return value

    def _raise_user(self, call: Call, reply: dict):
        exc_type, message = str(reply.get("type")), str(reply.get("message"))
        label = call.label(self.handle_types)
        if exc_type == "NotImplementedError":
            raise NotImplementedYet(label)
        if reply.get("memory"):
            raise Fatal(f"memory limit: {label} tried to allocate more memory than the cap allows "
                        f"({self.child.cfg.memory_mb} MB): {message}", str(reply.get("traceback", "")), reason="memory")
        if call.op == "getattr" and exc_type == "AttributeError":
            raise BadOutput(f"{label}: no such attribute ({message})")
        raise UserRaised(exc_type, message, str(reply.get("traceback", "")), entry=label)

    def close(self) -> None:
        self.child.close()


class LocalImpl(Impl):
    """Trusted code run in this process: the reference, a mistake variant, a test's variant.

    Behaves like RemoteImpl (copies in, copies out, the same checks), so a spec and the
    diagnosis treat both alike.
    """

    def __init__(self, namespace: Any, entry_points: tuple[str, ...], device: str = "cpu"):
        super().__init__(entry_points, device)
        self.namespace = namespace
        self.objects: dict[int, Any] = {}

    def _keep(self, obj: Any) -> int:
        self.objects[len(self.objects) + 1] = obj
        return len(self.objects)

    def _local(self, value: Any, inputs: list) -> Any:
        import torch

        if isinstance(value, Handle):
            return self.objects[value._id]
        if isinstance(value, torch.Tensor):
            moved = value.detach().to(self.device).clone()
            inputs.append((moved, moved.clone()))
            return moved
        if isinstance(value, list):
            return [self._local(v, inputs) for v in value]
        if isinstance(value, tuple):
            return tuple(self._local(v, inputs) for v in value)
        if isinstance(value, dict):
            return {k: self._local(v, inputs) for k, v in value.items()}
        return copy.deepcopy(value)

    def _run(self, call: Call):
        import torch

        from grader.sandbox import _same

        obj = self.namespace if call.target is None else self.objects[call.target]
        inputs: list = []
        if call.op == "getattr":
            try:
                value = getattr(obj, call.name)
            except AttributeError as e:
                raise BadOutput(f"{call.label(self.handle_types)}: no such attribute ({e})") from None
        elif call.op == "setattr":
            setattr(obj, call.name, self._local(call.args[0], []))
            return None
        elif call.op == "time":
            from grader.timing import time_calls

            fn = getattr(obj, call.name) if call.name else obj
            value = time_calls(fn, self._local(call.args, []), self._local(call.kwargs, []), self.device,
                               call.extra["repeats"], call.extra["warmup"])
        elif call.op == "collect":
            import itertools

            try:
                value = list(itertools.islice(obj, call.extra["limit"]))
            except Exception as e:
                raise UserRaised(type(e).__name__, str(e), entry=call.label(self.handle_types)) from None
        else:
            fn = getattr(obj, call.name) if call.name else obj
            args = self._local(call.args, inputs)
            kwargs = self._local(call.kwargs, inputs)
            import time

            start = time.perf_counter()
            try:
                if call.op == "grad":
                    value = self._grad(fn, args, kwargs, call.extra)
                else:
                    with torch.no_grad():
                        value = fn(*args, **kwargs)
                call.seconds = time.perf_counter() - start
            except NotImplementedError:
                raise NotImplementedYet(call.label(self.handle_types)) from None
            except Exception as e:
                raise UserRaised(type(e).__name__, str(e), entry=call.label(self.handle_types)) from None
        ptrs = frozenset(t.untyped_storage().data_ptr() for t, _ in inputs if t.numel())
        marker = wire.encode(value, self._keep, ptrs)
        meta: list = []
        try:
            out = wire.decode(marker, self._make_handle, self.device, meta)
        except wire.BadReturn as e:
            raise BadOutput(f"{call.label(self.handle_types)}: {e}") from None
        self._check_devices(call, meta)
        self._check_mutated(call, [i for i, (now, before) in enumerate(inputs) if not _same(now.detach(), before)])
        return out

    @staticmethod
    def _grad(fn, args, kwargs, extra):
        import torch

        args = list(args)
        for i in extra.get("wrt", []):
            args[i] = args[i].detach().requires_grad_(True)
        with torch.enable_grad():
            result = fn(*args, **kwargs)
            out = result if isinstance(result, torch.Tensor) else result[0]
            out.backward(extra["grad_output"].to(out.device))
        grads = {"output": result, "input_grads": [args[i].grad for i in extra.get("wrt", [])]}
        if isinstance(fn, torch.nn.Module):
            grads["param_grads"] = {n: p.grad for n, p in fn.named_parameters()}
        else:
            grads["param_grads"] = {}
        return grads
