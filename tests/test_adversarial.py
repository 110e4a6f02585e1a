"""Adversarial submissions: each gets the verdict in its first line, and the grader is unharmed.

Every file in tests/adversarial/ starts with `# expect: STATUS | MESSAGE FRAGMENT`; the
file name starts with the drill's slug (`attention__...`). See docs/trust.md.
"""
import os
from pathlib import Path

import pytest
import torch

from grader.catalog import load_catalog
from grader.runner import grade

CASES = sorted((Path(__file__).parent / "adversarial").glob("*.py"))
CATALOG = load_catalog()


def _expectation(path: Path) -> tuple[str, str]:
    first = path.read_text().splitlines()[0]
    assert first.startswith("# expect:"), f"{path.name} has no '# expect:' line"
    status, _, fragment = first.removeprefix("# expect:").partition("|")
    return status.strip(), fragment.strip()


def test_the_collection_is_large_enough():
    assert len(CASES) >= 30
    assert len({p.name.split("__")[0] for p in CASES}) >= 3, "cases across several drills"


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_adversarial_submission(path, tmp_path):
    import dataclasses

    slug = path.name.split("__")[0]
    drill = CATALOG.get(slug)
    # small limits keep the collection fast; they are the same mechanisms as the defaults
    drill = dataclasses.replace(drill, call_timeout=3.0, memory_mb=1024)
    status, fragment = _expectation(path)
    home_before = sorted(os.listdir(os.path.expanduser("~")))
    before = (torch.get_default_dtype(), torch.is_grad_enabled(), torch.allclose, torch.Tensor.__eq__)

    result = grade(drill, path, profile="ci", diagnose=False)

    messages = " ".join([result.message or "", result.detail or ""] +
                        [(p.message or "") + " " + (p.detail or "") for p in result.properties])
    assert result.status == status, f"{path.name}: {result.status}: {messages[:600]}"
    assert fragment.lower() in messages.lower(), f"{path.name}: {fragment!r} not in {messages[:600]!r}"
    # the grader is unharmed: its own process state, and no file left in the user's home
    assert (torch.get_default_dtype(), torch.is_grad_enabled(), torch.allclose, torch.Tensor.__eq__) == before
    assert sorted(os.listdir(os.path.expanduser("~"))) == home_before
    assert os.getpid() > 0 and os.getpgid(0) > 0
