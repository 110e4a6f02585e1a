"""`drill` as a process: exit codes and complete output through grader.cli.main's fast exit."""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WRONG = ("import torch\n\n\ndef scaled_dot_product_attention(q, k, v, mask=None):\n"
         "    return torch.zeros(q.shape[:-1] + v.shape[-1:], dtype=q.dtype)\n")


def drill(tmp_path, *args, stdout=subprocess.PIPE):
    env = dict(os.environ, DRILL_HOME=str(tmp_path / "home"), PYTHONPATH=str(ROOT))
    env.pop("DRILL_WORKSPACE", None)
    return subprocess.run([sys.executable, "-c", "from grader.cli import main; main()", *args], cwd=tmp_path,
                          env=env, stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=180)


def test_a_failing_grade_exits_1_with_its_whole_json_flushed(tmp_path):
    wrong = tmp_path / "wrong.py"
    wrong.write_text(WRONG)
    r = drill(tmp_path, "run", "attention", "--file", str(wrong), "--json")
    assert r.returncode == 1, r.stderr[-2000:]
    data = json.loads(r.stdout)  # all of it: nothing lost by skipping the interpreter's teardown
    assert data["status"] == "fail" and data["schema_version"] == 1
    assert "PASS" not in r.stderr


def test_a_pass_exits_0_and_the_store_has_the_attempt(tmp_path):
    ws = tmp_path / "home" / "workspace"
    r = drill(tmp_path, "show", "attention")
    assert r.returncode == 0
    (ws / "attention.py").write_text((ROOT / "solutions" / "attention.py").read_text())
    r = drill(tmp_path, "run", "attention")
    assert r.returncode == 0 and "PASS" in r.stdout, r.stdout + r.stderr
    hist = drill(tmp_path, "stats", "--json")
    assert hist.returncode == 0
    assert '"attention"' in hist.stdout and "pass" in hist.stdout  # the attempt was committed before exit


def test_not_started_and_bad_usage_keep_their_codes(tmp_path):
    assert drill(tmp_path, "run", "attention").returncode == 3
    assert drill(tmp_path, "run", "no_such_drill").returncode == 2
    assert drill(tmp_path, "run", "attention", "--seed", "x").returncode == 2


def test_a_closed_pipe_does_not_turn_a_pass_into_a_crash(tmp_path):
    env = dict(os.environ, DRILL_HOME=str(tmp_path / "home"), PYTHONPATH=str(ROOT))
    cmd = (f"{sys.executable} -c 'from grader.cli import main; main()' run attention "
           f"--file {ROOT / 'solutions' / 'attention.py'} | head -c 1; echo \" rc=${{PIPESTATUS[0]}}\"")
    r = subprocess.run(["bash", "-c", cmd], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=180)
    assert r.stdout.rstrip().endswith("rc=0"), r.stdout + r.stderr[-2000:]
    assert "Traceback" not in r.stderr
