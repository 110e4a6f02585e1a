"""Parse and validate drills/catalog.toml: the one index of the course.

Each `[[drill]]` table becomes a `Drill`. Validation is strict so that a typo in the
catalogue fails the project's tests, not a user's session.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from grader import paths
from grader.errors import DrillError

DIFFICULTIES = ("easy", "medium", "hard")


@dataclass(frozen=True)
class FollowUp:
    question: str
    answer: str


@dataclass(frozen=True)
class Drill:
    slug: str
    title: str
    topic: str
    difficulty: str
    minutes: int
    entry_points: tuple[str, ...]
    summary: str
    forbidden: tuple[str, ...] = ()
    hints: tuple[str, ...] = ()
    followups: tuple[FollowUp, ...] = ()
    call_timeout: float = 10.0     # seconds one call into the user's code may take
    memory_mb: int = 4096          # address-space cap for the user's process, above torch's own
    run_budget: float = 120.0      # seconds for the whole grading run
    order: int = 0
    tags: tuple[str, ...] = field(default=())

    @property
    def folder(self) -> Path:
        return paths.drills_dir() / self.slug

    @property
    def stub_path(self) -> Path:
        return self.folder / f"{self.slug}.py"

    @property
    def spec_path(self) -> Path:
        return self.folder / "spec.py"

    @property
    def mistakes_path(self) -> Path:
        return self.folder / "mistakes.py"

    @property
    def solution_path(self) -> Path:
        return paths.solutions_dir() / f"{self.slug}.py"

    def prompt(self) -> str:
        """The stub's module docstring: the interview prompt."""
        import ast

        tree = ast.parse(self.stub_path.read_text(encoding="utf-8"))
        return ast.get_docstring(tree) or ""


@dataclass(frozen=True)
class Catalog:
    drills: tuple[Drill, ...]

    def get(self, slug: str) -> Drill:
        for d in self.drills:
            if d.slug == slug:
                return d
        import difflib

        close = difflib.get_close_matches(slug, [d.slug for d in self.drills], n=3)
        hint = f"did you mean: {', '.join(close)}?" if close else "run `drill list` to see the drills"
        raise DrillError(f"no drill named {slug!r}", hint=hint)

    @property
    def slugs(self) -> list[str]:
        return [d.slug for d in self.drills]

    def topics(self) -> list[str]:
        seen: list[str] = []
        for d in self.drills:
            if d.topic not in seen:
                seen.append(d.topic)
        return seen


_REQUIRED = ("slug", "title", "topic", "difficulty", "minutes", "entry_points", "summary")
_OPTIONAL = ("forbidden", "hints", "followups", "call_timeout", "memory_mb", "run_budget", "tags")


def parse_catalog(text: str, where: str = "catalog.toml") -> Catalog:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise DrillError(f"{where}: not valid TOML: {e}") from None
    drills = []
    for i, entry in enumerate(data.get("drill", [])):
        at = f"{where}: drill #{i + 1} ({entry.get('slug', '?')})"
        missing = [k for k in _REQUIRED if k not in entry]
        if missing:
            raise DrillError(f"{at}: missing {', '.join(missing)}")
        unknown = set(entry) - set(_REQUIRED) - set(_OPTIONAL)
        if unknown:
            raise DrillError(f"{at}: unknown keys {', '.join(sorted(unknown))}")
        if entry["difficulty"] not in DIFFICULTIES:
            raise DrillError(f"{at}: difficulty must be one of {', '.join(DIFFICULTIES)}")
        followups = []
        for f in entry.get("followups", []):
            if set(f) != {"q", "a"}:
                raise DrillError(f"{at}: each followup needs exactly q and a")
            followups.append(FollowUp(f["q"].strip(), f["a"].strip()))
        drills.append(Drill(
            slug=entry["slug"], title=entry["title"], topic=entry["topic"],
            difficulty=entry["difficulty"], minutes=int(entry["minutes"]),
            entry_points=tuple(entry["entry_points"]), summary=entry["summary"].strip(),
            forbidden=tuple(entry.get("forbidden", ())),
            hints=tuple(h.strip() for h in entry.get("hints", ())),
            followups=tuple(followups),
            call_timeout=float(entry.get("call_timeout", 10.0)),
            memory_mb=int(entry.get("memory_mb", 4096)),
            run_budget=float(entry.get("run_budget", 120.0)),
            order=i, tags=tuple(entry.get("tags", ())),
        ))
    slugs = [d.slug for d in drills]
    dupes = {s for s in slugs if slugs.count(s) > 1}
    if dupes:
        raise DrillError(f"{where}: duplicate slugs {', '.join(sorted(dupes))}")
    return Catalog(tuple(drills))


@lru_cache(maxsize=1)
def load_catalog() -> Catalog:
    path = paths.drills_dir() / "catalog.toml"
    return parse_catalog(path.read_text(encoding="utf-8"), where=str(path))
