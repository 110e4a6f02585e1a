"""Keep typer's argument coercion from importing pydantic on the common paths.

Typer 0.2x coerces every parameter value through a pydantic TypeAdapter built on first use;
importing pydantic and building the adapters costs ~0.15-0.3 s, half of `drill list`'s
budget. Our parameters are plain, and for plain values the adapter's result is known:
a string that is already a string (itself), a flag that is already a bool (itself), a
decimal integer (`int(value)`), a path option with typer's default checks (`Path(value)`),
a list of strings (the list). Those we return directly. Every other value (a bad integer,
an unreadable path, a path option with checks, a parameter with min/max or a custom parser)
goes to typer's own coercion, built lazily as before, so messages and behaviour are typer's.

If a future typer moves these internals, `install()` does nothing and typer works as it
always does (only slower); tests/test_instant.py notices because pydantic is then imported.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

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
            if kind is Path and type(value) is str and (not os.path.exists(value) or os.access(value, os.R_OK)):
                return Path(value)  # typer's result for a path option with default checks
            if kind is list and isinstance(value, (list, tuple)) and all(type(v) is str for v in value):
                return list(value)
            return original(self._param)._coerce_value(value, param=param, ctx=ctx)

    def get_runtime_param(self):
        if self._runtime_param is None:
            desc = self.type_descriptor
            info = desc.parameter_info
            kind = desc.annotation if desc.annotation in (str, bool, int, Path) else None
            if desc.annotation == list[str]:
                kind = list
            plain = (kind is not None and desc.file_annotation is None
                     and getattr(info, "parser", None) is None
                     and getattr(info, "min", None) is None and getattr(info, "max", None) is None)
            if kind is Path:  # only the default checks: no exists/dir/resolve/dash/writable options
                plain = plain and (info.exists, info.file_okay, info.dir_okay, info.writable, info.resolve_path,
                                   info.allow_dash, info.path_type) == (False, True, True, False, False, False, None)
            if plain:
                return _Fast(self, kind)  # not cached: the fallback caches typer's own
            self._runtime_param = original(self)
        return self._runtime_param

    get_runtime_param._drill_fast = True
    cls.get_runtime_param = get_runtime_param
    return True
