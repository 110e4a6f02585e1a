"""Keep typer's argument coercion from importing pydantic on the common paths.

Typer 0.2x coerces every parameter value through a pydantic TypeAdapter built on first use;
importing pydantic and building the adapters costs ~0.15-0.3 s, half of `drill list`'s
budget. Our parameters are plain: a string that is already a string, a flag that is already
a bool, a decimal integer. For exactly those values the result of the adapter is known
(the value itself, or `int(value)`), so we return it directly. Every other value (a bad
integer, a path, a list, a parameter with min/max, a custom parser) goes to typer's own
coercion, built lazily as before, so messages and behaviour are typer's.

If a future typer moves these internals, `install()` does nothing and typer works as it
always does (only slower); tests/test_instant.py notices because pydantic is then imported.
"""
from __future__ import annotations

import re

_INT = re.compile(r"[+-]?[0-9]+\Z")


def install() -> bool:
    try:
        from typer import core
        from typer._coercion import RuntimeParam
    except ImportError:  # pragma: no cover - a typer without these internals
        return False
    cls = getattr(core, "_TyperParameter", None)
    original = getattr(cls, "get_runtime_param", None)
    if cls is None or original is None or getattr(original, "_drill_fast", False):
        return False

    class _Fast(RuntimeParam):
        """Known results for plain values; typer's own coercion for the rest."""

        def __init__(self, param, kind: type):
            object.__setattr__(self, "parameter_info", param.type_descriptor.parameter_info)
            object.__setattr__(self, "annotation", param.type_descriptor.annotation)
            object.__setattr__(self, "_kind", kind)
            object.__setattr__(self, "_param", param)

        def _coerce_value(self, value, param, ctx):
            kind = self._kind
            if kind is str and type(value) is str:
                return value
            if kind is bool and type(value) is bool:
                return value
            if kind is int and type(value) is str and _INT.match(value):
                return int(value)
            if kind is int and type(value) is int:
                return value
            return original(self._param)._coerce_value(value, param=param, ctx=ctx)

    def get_runtime_param(self):
        if self._runtime_param is None:
            desc = self.type_descriptor
            info = desc.parameter_info
            kind = desc.annotation if desc.annotation in (str, bool, int) else None
            plain = (kind is not None and desc.file_annotation is None
                     and getattr(info, "parser", None) is None
                     and getattr(info, "min", None) is None and getattr(info, "max", None) is None)
            if plain:
                return _Fast(self, kind)  # not cached: the fallback caches typer's own
            self._runtime_param = original(self)
        return self._runtime_param

    get_runtime_param._drill_fast = True
    cls.get_runtime_param = get_runtime_param
    return True
