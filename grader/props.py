"""The API a drill's spec.py and mistakes.py are written against.

spec.py declares properties:

    @prop("rows of attention weights sum to 1", dtypes=("float32", "float64"))
    def weights_sum_to_one(t):
        d = t.draw(dims("B", "Lq", "Lk", "D"), "dims")
        ...
        got = t.impl.scaled_dot_product_attention(q, k, v)   # the user's code
        want = t.ref.scaled_dot_product_attention(q, k, v)   # the reference
        t.assert_close(got, want)

mistakes.py declares known wrong variants (each must fail the spec):

    @mistake("no_scale", "scores not divided by sqrt(d)", entry="scaled_dot_product_attention")
    def no_scale(q, k, v, mask=None): ...

Entry points a mistake does not override come from the reference.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from grader import compare
from grader.failures import PropertyViolated

ALL_DEVICES = ("cpu", "cuda")


@dataclass
class Prop:
    name: str
    title: str
    fn: Callable[["Trial"], None]
    dtypes: tuple[str, ...] = ("float32",)
    devices: tuple[str, ...] = ALL_DEVICES
    weight: float = 1.0      # relative example budget
    order: int = 0


_ORDER = [0]


def prop(title: str, *, dtypes: tuple[str, ...] = ("float32",), devices: tuple[str, ...] = ALL_DEVICES,
         weight: float = 1.0):
    """Declare a property. `title` is what the user reads: a claim in plain words."""
    def deco(fn):
        _ORDER[0] += 1
        fn._drill_prop = Prop(fn.__name__, title, fn, tuple(dtypes), tuple(devices), weight, _ORDER[0])
        return fn
    return deco


def props_of(module) -> list[Prop]:
    found = [v._drill_prop for v in vars(module).values() if hasattr(v, "_drill_prop")]
    return sorted(found, key=lambda p: p.order)


@dataclass
class Mistake:
    id: str
    title: str
    explain: str
    overrides: dict[str, Any] = field(default_factory=dict)
    diagnosable: bool = True   # False for variants whose output is random (cannot be matched)


_MISTAKES_KEY = "_drill_mistakes"


def mistake(id: str, title: str, *, entry: str | None = None, explain: str = "", diagnosable: bool = True):
    """Register a known wrong variant of an entry point (default: the decorated name)."""
    def deco(obj):
        import sys

        module = sys.modules[obj.__module__]
        registry: dict[str, Mistake] = module.__dict__.setdefault(_MISTAKES_KEY, {})
        m = registry.setdefault(id, Mistake(id, title, explain, diagnosable=diagnosable))
        m.overrides[entry or obj.__name__] = obj
        return obj
    return deco


def mistakes_of(module) -> list[Mistake]:
    return list(getattr(module, _MISTAKES_KEY, {}).values())


class Trial:
    """One example of one property: the draws, the two implementations, the checks."""

    def __init__(self, data, impl, ref, device: str, dtype: str, diagnosing: bool = False):
        import torch

        self._data = data
        self.impl = impl
        self.ref = ref
        self.device = device
        self.dtype_name = dtype
        self.dtype = getattr(torch, dtype)
        self.draws: list[tuple[str, Any]] = []
        self.diagnosing = diagnosing
        self._seed: int | None = None
        self._seed_uses = 0

    def draw(self, strategy, label: str = ""):
        value = self._data.draw(strategy, label=label or None)
        self.draws.append((label or f"draw {len(self.draws) + 1}", value))
        return value

    def note(self, label: str, value) -> None:
        """Show a derived value (e.g. chunk sizes) in the counterexample, next to the draws."""
        self.draws.append((label, value))

    def seed(self) -> int:
        """A fresh seed for random values: one drawn number per example, then derived.

        Hypothesis shrinks only that one number (cheap), and tensors made in the same
        example still get different values.
        """
        from hypothesis import strategies as st

        if self._seed is None:
            self._seed = self.draw(st.integers(0, 2**16 - 1), "seed")
        self._seed_uses += 1
        return (self._seed * 1_000_003 + self._seed_uses * 7919) % (2**31 - 1)

    def tensor(self, shape, scale: float = 1.0, dtype: str | None = None, label: str = ""):
        """A normal(0, scale) tensor of this trial's dtype (or `dtype`) on the CPU; impls move it."""
        from grader.strategies import tensor

        return tensor(shape, dtype or self.dtype_name, scale, self.seed())

    def assert_close(self, got, want, what: str = "output", **kw) -> None:
        if self.diagnosing:
            return
        compare.assert_close(got, want, what=what, **kw)

    def check(self, condition: bool, message: str) -> None:
        """A metamorphic claim; `message` says what was expected and what happened."""
        if self.diagnosing:
            return
        if not condition:
            raise PropertyViolated(message)
