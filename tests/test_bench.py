"""`drill bench`: every drills/<slug>/bench.py at its SMOKE_CASES sizes, the built-ins, the errors.

The realistic sizes (CASES) take minutes; the tests use each bench's tiny SMOKE_CASES
(grader.bench.bench(smoke=True)), so the whole file runs in seconds.
"""
import functools
import json

import pytest
from typer.testing import CliRunner

import grader.bench
from grader import compare
from grader.bench import bench
from grader.catalog import load_catalog
from grader.cli import app
from grader.errors import DrillError
from grader.impl import Handle, LocalImpl
from grader.runner import load_drill, load_module

runner = CliRunner()
CATALOG = load_catalog()
BENCHED = grader.bench._benchable()
UNBENCHED = [d for d in CATALOG.drills if d not in BENCHED]

# docs/json.md, "drill bench SLUG --json"
BENCH_KEYS = {"schema_version", "cases"}
CASE_KEYS = {"case", "device", "dtype", "correct", "message", "timings_ms", "ratio_vs_reference", "ratio_vs_torch",
             "reference_vs_torch"}

WRONG_ATTENTION = '''import torch


def scaled_dot_product_attention(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1)  # bug: no 1/sqrt(D) scale
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v
'''


def _spec(drill):
    return load_module(drill.folder / "bench.py", f"test_bench_spec_{drill.slug}")


def _smoke_bench(monkeypatch):
    """Make the CLI's `drill bench` use the SMOKE_CASES (it has no option for it)."""
    monkeypatch.setattr(grader.bench, "bench", functools.partial(grader.bench.bench, smoke=True))


def test_the_benches_exist():
    assert {"attention", "rmsnorm", "layernorm", "softmax_xent", "kl", "mha", "flash_attention"} <= {
        d.slug for d in BENCHED}
    assert UNBENCHED, "the error test below needs a drill without a benchmark"


@pytest.mark.parametrize("drill", BENCHED, ids=lambda d: d.slug)
def test_bench_file_is_well_formed(drill):
    spec = _spec(drill)
    # SMOKE_CASES is optional for the engine, but without it this suite would time the full sizes
    assert spec.SMOKE_CASES, "give the bench tiny SMOKE_CASES for the tests"
    keys = {frozenset(c) for c in spec.CASES}
    assert keys == {frozenset(c) for c in spec.SMOKE_CASES}, "SMOKE_CASES must have the keys of CASES"
    if hasattr(spec, "label"):
        labels = [spec.label(c) for c in spec.CASES]
        assert len(set(labels)) == len(labels), "each case needs its own label"


@pytest.mark.parametrize("drill", BENCHED, ids=lambda d: d.slug)
def test_reference_solution_benches(drill):
    spec = _spec(drill)
    results = bench(drill, drill.solution_path, devices=("cpu",), repeats=3, warmup=1, smoke=True)
    assert len(results) == len(spec.SMOKE_CASES)
    want = {"yours", "reference"} | ({"torch"} if hasattr(spec, "builtin") else set())
    for r in results:
        assert r.correct, f"{r.case}: {r.message}"
        assert r.device == "cpu" and r.dtype == "float32"
        assert set(r.timings) == want, r.case
        for name, t in r.timings.items():
            assert t.median_ms > 0, (r.case, name)
            assert t.q1_ms <= t.median_ms <= t.q3_ms, (r.case, name, t)
    data = grader.bench.as_json(results)
    assert set(data) == BENCH_KEYS and all(set(c) == CASE_KEYS for c in data["cases"])


@pytest.mark.parametrize("drill", [d for d in BENCHED if hasattr(_spec(d), "builtin")], ids=lambda d: d.slug)
def test_builtin_computes_what_the_reference_computes(drill):
    """The built-in is only timed by `drill bench`: check here that it is the same computation."""
    import torch

    spec = _spec(drill)
    reference = load_drill(drill).reference
    for case in spec.SMOKE_CASES:
        ref = LocalImpl(reference, drill.entry_points, "cpu")
        target, args, kwargs = spec.setup(ref, case, "cpu", "float32")
        fn = ref.objects[target._id] if isinstance(target, Handle) else getattr(reference, target)
        args, kwargs = ref._local(args, []), ref._local(kwargs, [])
        with torch.no_grad():
            want = fn(*args, **kwargs)
            b_fn, b_args, b_kwargs = spec.builtin(case, "cpu", "float32", args, kwargs)
            got = b_fn(*b_args, **b_kwargs)
        compare.assert_close(got, want, what=f"{drill.slug} built-in, {case}")


def test_wrong_implementation_is_not_timed(tmp_path):
    wrong = tmp_path / "attention.py"
    wrong.write_text(WRONG_ATTENTION)
    results = bench(CATALOG.get("attention"), wrong, devices=("cpu",), repeats=3, warmup=1, smoke=True)
    assert results
    for r in results:
        assert not r.correct and r.message and not r.timings, r


def test_cli_json(drill_home, tmp_path, monkeypatch):
    _smoke_bench(monkeypatch)
    wrong = tmp_path / "attention.py"
    wrong.write_text(WRONG_ATTENTION)
    r = runner.invoke(app, ["bench", "attention", "--file", str(wrong), "--json", "--device", "cpu"])
    assert r.exit_code == 1, r.output
    data = json.loads(r.stdout)
    assert set(data) == BENCH_KEYS and data["schema_version"] == 1 and data["cases"]
    for c in data["cases"]:
        assert set(c) == CASE_KEYS
        assert c["correct"] is False and c["message"] and c["timings_ms"] == {}
        assert c["ratio_vs_reference"] is None and c["ratio_vs_torch"] is None and c["reference_vs_torch"] is None

    good = CATALOG.get("rmsnorm").solution_path
    r = runner.invoke(app, ["bench", "rmsnorm", "--file", str(good), "--json", "--device", "cpu", "--repeats", "3"])
    assert r.exit_code == 0, r.output
    for c in json.loads(r.stdout)["cases"]:
        assert set(c) == CASE_KEYS and c["correct"] is True and c["message"] == ""
        assert set(c["timings_ms"]) == {"yours", "reference", "torch"}
        assert all(set(t) == {"median", "q1", "q3"} for t in c["timings_ms"].values())
        assert all(isinstance(c[k], float) and c[k] > 0
                   for k in ("ratio_vs_reference", "ratio_vs_torch", "reference_vs_torch"))


def test_json_keys_are_documented():
    import re
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[1] / "docs" / "json.md").read_text()
    section = doc.split("## drill bench SLUG --json", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    assert {k for row in rows for k in re.findall(r"`(\w+)`", row)} == CASE_KEYS


def test_drill_without_a_benchmark(drill_home, monkeypatch):
    _smoke_bench(monkeypatch)
    drill = UNBENCHED[0]
    r = runner.invoke(app, ["bench", drill.slug, "--file", str(drill.solution_path)])
    assert r.exit_code == 2
    assert "no benchmark" in r.stderr and "Traceback" not in r.output
    hint = r.stderr[r.stderr.index("hint:"):]
    for d in BENCHED:
        assert d.slug in hint


def test_syntax_error_is_reported_not_raised(drill_home, tmp_path, monkeypatch):
    _smoke_bench(monkeypatch)
    broken = tmp_path / "attention.py"
    broken.write_text("import torch\n\ndef scaled_dot_product_attention(q, k, v, mask=None)\n    return q\n")
    with pytest.raises(DrillError, match="syntax error"):
        bench(CATALOG.get("attention"), broken, devices=("cpu",), repeats=3, warmup=1, smoke=True)
    r = runner.invoke(app, ["bench", "attention", "--file", str(broken), "--json"])
    assert r.exit_code == 2
    assert "syntax error" in r.stderr and "line 3" in r.stderr
    assert "Traceback" not in r.output
    assert r.exception is None or isinstance(r.exception, SystemExit)
