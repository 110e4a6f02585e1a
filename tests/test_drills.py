"""Every drill, through the same checks: the course's own 'dev check'.

- the reference passes its spec (in-process, and once through the real sandbox),
- every known mistake fails it, and the diagnosis names that mistake,
- every valid alternative in tests/alternatives/<slug>/ passes,
- the untouched stub is graded not_started.
"""
from pathlib import Path

import pytest

from grader.catalog import load_catalog
from grader.diagnose import namespace_with
from grader.impl import LocalImpl
from grader.runner import grade, load_drill, load_module

CATALOG = load_catalog()
ALTERNATIVES = Path(__file__).parent / "alternatives"


def _explain(result) -> str:
    lines = [f"{result.status}: {result.message}"]
    for p in result.failing()[:4]:
        lines.append(f"  {p.name} [{p.device}/{p.dtype}] {p.status}: {p.message}")
        if p.detail:
            lines.append("    " + p.detail.replace("\n", "\n    "))
    return "\n".join(lines)


def _local(drill, namespace):
    return lambda device: LocalImpl(namespace, drill.entry_points, device)


def _mistake_cases():
    for d in CATALOG.drills:
        for m in load_drill(d).mistakes:
            yield pytest.param(d.slug, m.id, id=f"{d.slug}-{m.id}")


def _alternative_cases():
    for d in CATALOG.drills:
        for f in sorted((ALTERNATIVES / d.slug).glob("*.py")):
            yield pytest.param(d.slug, f, id=f"{d.slug}-{f.stem}")


@pytest.mark.parametrize("slug", CATALOG.slugs)
def test_reference_passes_its_spec(slug):
    drill = CATALOG.get(slug)
    ref = load_drill(drill).reference
    result = grade(drill, impl_factory=_local(drill, ref), profile="ci", diagnose=False)
    assert result.status == "pass", _explain(result)


@pytest.mark.parametrize("slug", CATALOG.slugs)
def test_reference_file_passes_through_the_sandbox(slug):
    drill = CATALOG.get(slug)
    result = grade(drill, drill.solution_path, profile="ci", check_pristine=False, diagnose=False)
    assert result.status == "pass", _explain(result)


@pytest.mark.parametrize("slug,mistake_id", list(_mistake_cases()))
def test_every_mistake_fails_and_is_named(slug, mistake_id):
    drill = CATALOG.get(slug)
    loaded = load_drill(drill)
    m = next(m for m in loaded.mistakes if m.id == mistake_id)
    ns = namespace_with(loaded.reference, drill.entry_points, m.overrides)
    result = grade(drill, impl_factory=_local(drill, ns), profile="mistakes", fail_fast=True)
    assert result.status == "fail", f"mistake {mistake_id!r} was not caught: " + _explain(result)
    if m.diagnosable:
        named = [d["id"] for d in result.diagnosis]
        assert mistake_id in named, f"diagnosis named {named} for {mistake_id}: " + _explain(result)


@pytest.mark.parametrize("slug,path", list(_alternative_cases()))
def test_valid_alternative_passes(slug, path):
    drill = CATALOG.get(slug)
    module = load_module(path, f"alt_{slug}_{path.stem}")
    result = grade(drill, impl_factory=_local(drill, module), profile="ci", diagnose=False)
    assert result.status == "pass", f"a correct alternative was rejected: " + _explain(result)


@pytest.mark.parametrize("slug", CATALOG.slugs)
def test_untouched_stub_is_not_started(slug):
    drill = CATALOG.get(slug)
    assert grade(drill, drill.stub_path).status == "not_started"
    stub = load_module(drill.stub_path, f"stub_{slug}")
    result = grade(drill, impl_factory=_local(drill, stub), profile="ci", diagnose=False)
    assert result.status == "not_started", _explain(result)


@pytest.mark.parametrize("slug", CATALOG.slugs)
def test_drill_is_complete(slug):
    drill = CATALOG.get(slug)
    assert drill.stub_path.is_file() and drill.spec_path.is_file() and drill.mistakes_path.is_file()
    assert drill.solution_path.is_file()
    assert len(drill.hints) >= 3, "a hint ladder has at least three rungs"
    assert len(drill.followups) >= 2, "at least two follow-up questions"
    assert drill.prompt().strip(), "the stub's docstring is the prompt"
    loaded = load_drill(drill)
    assert loaded.props, "the spec declares properties"
    assert loaded.mistakes, "mistakes.py declares known wrong variants"
    assert list((ALTERNATIVES / slug).glob("*.py")), "at least one valid alternative in tests/alternatives"
