"""Bad user code gets one readable message, a non-zero status, and harms nothing.

Every case runs through the real sandbox (a child process), as `drill run` does.
"""
import dataclasses
import textwrap

import pytest

from grader.catalog import load_catalog
from grader.runner import grade

ATTENTION = load_catalog().get("attention")
GOOD_BODY = """
import math, torch
def scaled_dot_product_attention(q, k, v, mask=None):
    s = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        s = s.masked_fill(~mask, float('-inf'))
    w = torch.softmax(s.float(), -1)
    if mask is not None:
        w = w.masked_fill(~mask.any(-1, keepdim=True), 0.0)
    return w.to(v.dtype) @ v
"""


def _grade(tmp_path, source, **drill_changes):
    f = tmp_path / "attention.py"
    f.write_text(textwrap.dedent(source))
    before = f.read_bytes()
    drill = dataclasses.replace(ATTENTION, **drill_changes) if drill_changes else ATTENTION
    result = grade(drill, f, profile="ci", diagnose=False)
    assert f.read_bytes() == before, "the user's file must never be changed by grading"
    assert result.status != "pass"
    assert result.message
    return result


def _all_messages(r):
    return " ".join([r.message or "", r.detail or ""] + [(p.message or "") + (p.detail or "") for p in r.properties])


def test_syntax_error_names_the_line(tmp_path):
    r = _grade(tmp_path, "import torch\n\ndef scaled_dot_product_attention(q, k, v, mask=None)\n    return q\n")
    assert r.status == "error"
    assert "syntax error" in r.message and "line 3" in r.message


def test_import_error_is_reported(tmp_path):
    r = _grade(tmp_path, "import no_such_module_xyz\n" + GOOD_BODY)
    assert r.status == "error"
    assert "ModuleNotFoundError" in r.message and "no_such_module_xyz" in r.message


def test_exception_inside_the_function_shows_the_users_frames_only(tmp_path):
    r = _grade(tmp_path, """
        def helper(x):
            raise ValueError("shapes do not line up")
        def scaled_dot_product_attention(q, k, v, mask=None):
            return helper(q)
        """)
    assert r.status == "fail"
    failing = r.failing()[0]
    assert "ValueError" in failing.message and "shapes do not line up" in failing.message
    assert "line 3, in helper" in failing.detail and "line 5, in scaled_dot_product_attention" in failing.detail
    assert "grader" not in failing.detail and "site-packages" not in failing.detail


def test_infinite_loop_hits_the_time_limit(tmp_path):
    r = _grade(tmp_path, """
        def scaled_dot_product_attention(q, k, v, mask=None):
            while True:
                pass
        """, call_timeout=1.5)
    assert r.status == "error"
    assert "time limit" in r.message


def test_huge_allocation_hits_the_memory_cap(tmp_path):
    r = _grade(tmp_path, """
        import torch
        def scaled_dot_product_attention(q, k, v, mask=None):
            big = torch.ones(100 * 1024**3, dtype=torch.uint8)   # 100 GB
            return big
        """, memory_mb=512)
    assert r.status == "error"
    assert "memory" in r.message


@pytest.mark.parametrize("call", ["sys.exit(0)", "sys.exit()", "raise SystemExit(0)", "raise KeyboardInterrupt"])
def test_exit_inside_the_function_is_never_a_pass(tmp_path, call):
    r = _grade(tmp_path, f"""
        import sys
        def scaled_dot_product_attention(q, k, v, mask=None):
            {call}
        """)
    assert r.status == "fail"
    assert "SystemExit" in _all_messages(r) or "KeyboardInterrupt" in _all_messages(r)


def test_exit_at_import_time_is_an_error(tmp_path):
    r = _grade(tmp_path, "import sys\nsys.exit(0)\n")
    assert r.status == "error" and "SystemExit" in r.message


def test_os_exit_is_never_a_pass(tmp_path):
    r = _grade(tmp_path, """
        import os
        def scaled_dot_product_attention(q, k, v, mask=None):
            os._exit(0)
        """)
    assert r.status == "error"
    assert "exited with code 0" in r.message


@pytest.mark.parametrize("ret,expect", [
    ("None", "got None"),
    ("[1.0, 2.0]", "got a list"),
    ("q", "shape"),
    ("(w @ v).double()", "dtype"),
    ("(w @ v) * float('nan')", "NaN"),
    ("torch.empty((w @ v).shape, device='meta')", "meta"),
])
def test_wrong_return_values_are_explained(tmp_path, ret, expect):
    r = _grade(tmp_path, f"""
        import math, torch
        def scaled_dot_product_attention(q, k, v, mask=None):
            s = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
            if mask is not None:
                s = s.masked_fill(~mask, float('-inf'))
            w = torch.softmax(s, -1).nan_to_num(0.0)
            return {ret}
        """)
    assert r.status in ("fail", "error")
    assert expect in _all_messages(r), _all_messages(r)[:800]


def test_missing_entry_point_is_named(tmp_path):
    r = _grade(tmp_path, "def attention(q, k, v, mask=None):\n    return q\n")
    assert r.status == "error"
    assert "scaled_dot_product_attention" in r.message


def test_mutating_an_input_is_reported(tmp_path):
    r = _grade(tmp_path, GOOD_BODY.replace("    s = q @", "    q.mul_(1.0)\n    q.add_(0.5)\n    s = q @"))
    assert r.status == "fail"
    assert "in place" in _all_messages(r)


def test_forbidden_api_is_refused_before_running(tmp_path):
    r = _grade(tmp_path, """
        import torch.nn.functional as F
        def scaled_dot_product_attention(q, k, v, mask=None):
            return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        """)
    assert r.status == "error" and "forbidden" in r.message and "line 4" in r.message


def test_forbidden_api_through_getattr_is_caught_at_run_time(tmp_path):
    r = _grade(tmp_path, """
        import torch.nn.functional as F
        def scaled_dot_product_attention(q, k, v, mask=None):
            fn = getattr(F, "scaled_dot_" + "product_attention")
            return fn(q, k, v, attn_mask=mask)
        """)
    assert r.status == "error" and "forbidden" in r.message


@pytest.mark.parametrize("source", [
    "from solutions.attention import scaled_dot_product_attention\n",
    "import importlib.util, pathlib\n"
    "p = pathlib.Path(__file__).resolve().parents[0] / 'x'\n"
    "spec = importlib.util.spec_from_file_location('r', '{ref}')\n"
    "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
    "scaled_dot_product_attention = m.scaled_dot_product_attention\n",
])
def test_importing_the_reference_is_refused(tmp_path, source):
    r = _grade(tmp_path, source.replace("{ref}", str(ATTENTION.solution_path)))
    assert r.status == "error"
    assert "reference" in r.message or "solutions" in r.message


def test_a_correct_file_passes_and_a_stub_is_not_started(tmp_path):
    f = tmp_path / "attention.py"
    f.write_text(GOOD_BODY)
    assert grade(ATTENTION, f, profile="ci").status == "pass"
    assert grade(ATTENTION, ATTENTION.stub_path, profile="ci").status == "not_started"
