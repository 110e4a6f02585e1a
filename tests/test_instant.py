"""Instant commands never import torch or hypothesis (they cost seconds to import)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROBE = """
import json, sys
sys.argv = ["drill"] + json.loads(sys.argv[1])
from grader.cli import app
try:
    app()
except SystemExit:
    pass
heavy = sorted(m for m in ("torch", "hypothesis", "fsrs", "genanki", "watchfiles") if m in sys.modules)
sys.stderr.write("HEAVY=" + json.dumps(heavy) + "\\n")
"""


def imported(argv, tmp_path, probe=PROBE) -> list[str]:
    """Which of the probe's watched modules `drill ARGV` imported (run in a fresh interpreter)."""
    env = dict(os.environ, DRILL_HOME=str(tmp_path / "home"), PYTHONPATH=str(ROOT))
    env.pop("DRILL_WORKSPACE", None)
    proc = subprocess.run([sys.executable, "-c", probe, json.dumps(argv)], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    line = [x for x in proc.stderr.splitlines() if x.startswith("HEAVY=")]
    assert line, proc.stderr[-2000:]
    return json.loads(line[0][6:])


@pytest.mark.parametrize("argv", [
    ["--help"], ["list"], ["list", "--json"], ["show", "attention"], ["hint", "attention"], ["stats"],
    ["stats", "--json"], ["where"], ["run", "--help"], ["cards", "list"], ["cards", "--help"],
], ids=lambda a: " ".join(a))
def test_command_does_not_import_heavy_modules(argv, tmp_path):
    assert imported(argv, tmp_path) == [], f"`drill {' '.join(argv)}` imported them"


def test_a_pristine_stub_is_not_started_without_importing_torch(tmp_path):
    env = dict(os.environ, DRILL_HOME=str(tmp_path / "home"), PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", PROBE, json.dumps(["run", "attention"])], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert "HEAVY=[]" in proc.stderr and "not started" in proc.stdout.lower()


# pydantic (typer's coercion) and markdown_it (rich's Markdown) together cost as much as the
# rest of `drill list`; see grader/fastargs.py and render.catalog_lines.
LIGHT_PROBE = PROBE.replace('("torch", "hypothesis", "fsrs", "genanki", "watchfiles")', '("pydantic", "markdown_it")')


@pytest.mark.parametrize("argv", [
    ["--help"], ["list"], ["list", "--topic", "attention"], ["list", "--json"], ["stats"], ["where"],
], ids=lambda a: " ".join(a))
def test_the_quickest_commands_skip_pydantic_and_markdown(argv, tmp_path):
    assert imported(argv, tmp_path, LIGHT_PROBE) == [], f"`drill {' '.join(argv)}` imported them"
