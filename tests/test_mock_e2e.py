"""`drill mock` and `drill watch` in a real terminal (pexpect pty, 30x80).

Each test has its own DRILL_HOME and cwd. The mock's clock runs DRILL_CLOCK_SCALE times
faster than the wall clock, so minutes pass in seconds; `--only` names the drills, so
drills added to the catalogue change nothing here.
"""
import json
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from grader.catalog import load_catalog

pexpect = pytest.importorskip("pexpect")

ROOT = Path(__file__).resolve().parent.parent
CATALOG = load_catalog()
ATTENTION = CATALOG.get("attention")
SECOND = next(d for d in CATALOG.drills if d.slug != "attention")
DRILL = [sys.executable, "-c", "from grader.cli import main; main()"]
WRONG_ATTENTION = ("import torch\n\n\ndef scaled_dot_product_attention(q, k, v, mask=None):\n"
                   "    s = q @ k.transpose(-2, -1)\n"            # no 1/sqrt(D)
                   "    if mask is not None:\n        s = s.masked_fill(~mask, float('-inf'))\n"
                   "    return torch.softmax(s, dim=-1) @ v\n")


def env_for(tmp_path: Path, **extra) -> dict:
    env = dict(os.environ, DRILL_HOME=str(tmp_path / "home"), TERM="xterm-256color", COLUMNS="80", LINES="30",
               PYTHONPATH=str(ROOT), DRILL_CARDS_LANG="en", **extra)
    env.pop("DRILL_WORKSPACE", None)
    return env


def spawn(tmp_path: Path, args: list[str], **extra):
    child = pexpect.spawn(DRILL[0], DRILL[1:] + args, cwd=str(tmp_path), env=env_for(tmp_path, **extra),
                          dimensions=(30, 80), encoding="utf-8", timeout=60, codec_errors="replace")
    child.logfile_read = _Tail()
    return child


class _Tail:
    """Keeps the last screenfuls a child printed, for the failure message."""

    def __init__(self):
        self.text = ""

    def write(self, s):
        self.text = (self.text + s)[-200000:]

    def flush(self):
        pass


def screen_failure(child, e: Exception, tmp_path: Path) -> None:
    """Fail with the end of what the child printed; all of it goes to tmp_path/screen.log."""
    (tmp_path / "screen.log").write_text(child.logfile_read.text)
    pytest.fail(f"{type(e).__name__}; the screen ended with (all of it: {tmp_path / 'screen.log'}):\n"
                f"{child.logfile_read.text[-3000:]}")


def drill_cmd(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(DRILL + list(args), cwd=str(tmp_path), env=env_for(tmp_path), capture_output=True,
                          text=True, timeout=60)


def save(path: Path, text: str) -> None:
    """Save like an editor that writes a temp file and renames it over the original."""
    tmp = path.with_name(path.name + ".tmp~")
    tmp.write_text(text)
    os.replace(tmp, path)


def mock_file(tmp_path: Path, slug: str) -> Path:
    files = sorted((tmp_path / "home" / "workspace").glob(f"mock-*/{slug}.py"))
    assert len(files) == 1, files
    return files[0]


def show_json(tmp_path: Path, session_id: int) -> dict:
    r = drill_cmd(tmp_path, "history", "show", str(session_id), "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


@pytest.mark.slow
def test_mock_session_pass_then_time_up_then_questions_then_history(tmp_path):
    # 4 session minutes at 8x: 30 s of wall time, of which the first drill needs a few
    child = spawn(tmp_path, ["mock", "--only", f"attention,{SECOND.slug}", "--minutes", "4", "--seed", "1",
                             "--lang", "en"], DRILL_CLOCK_SCALE="8")
    try:
        child.expect("drill 1/2")
        child.expect("left")                                   # the countdown is running
        save(mock_file(tmp_path, "attention"), ATTENTION.solution_path.read_text())
        child.expect("PASS")
        child.expect("drill 2/2")                               # a confirmed pass moves on
        child.expect("1 minute left")
        child.expect("Time is up")
        answered = 0
        while True:
            i = child.expect([r"enter: show the answer", r"score \d+/100"])
            if i == 1:
                break
            child.send("\r")
            child.expect("did you know it")
            child.send("y" if answered % 2 == 0 else "1")
            answered += 1
        child.expect("drill history show 1")
        child.expect(pexpect.EOF)
    except (pexpect.TIMEOUT, pexpect.EOF) as e:
        screen_failure(child, e, tmp_path)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0, child.logfile_read.text
    assert answered >= 4                                        # 2 follow-ups per drill, plus cards

    # the user's normal workspace copy was never made
    assert not (tmp_path / "home" / "workspace" / "attention.py").exists()
    r = drill_cmd(tmp_path, "history")
    assert r.returncode == 0 and "finished" in r.stdout and "attention" in r.stdout
    card = show_json(tmp_path, 1)
    assert card["status"] == "finished" and card["ended_reason"] == "time"
    first, second = card["drills"]
    assert (first["slug"], first["status"], first["ended_by"]) == ("attention", "pass", "pass")
    assert first["runs"] >= 1 and first["failed_properties"] == []
    assert (second["slug"], second["status"], second["ended_by"]) == (SECOND.slug, "not_started", "time")
    assert card["followups"]["answered"] == card["followups"]["asked"] >= 4
    assert card["followups"]["answered"] + card["cards"]["answered"] == answered
    assert 0 < card["score"]["overall"] <= 100 and "x 70%" in card["score"]["rationale"]
    listed = json.loads(drill_cmd(tmp_path, "history", "--json").stdout)
    assert listed["sessions"][0]["id"] == 1 and listed["sessions"][0]["score"] == card["score"]["overall"]
    assert any(a["mode"] == "mock" and a["status"] == "pass" for a in listed["attempts"])


@pytest.mark.slow
def test_mock_ctrl_c_halfway_keeps_the_session_as_abandoned(tmp_path):
    child = spawn(tmp_path, ["mock", "--only", f"attention,{SECOND.slug}", "--minutes", "30", "--seed", "2"])
    try:
        child.expect("drill 1/2")
        save(mock_file(tmp_path, "attention"), WRONG_ATTENTION)
        child.expect("FAIL")
        child.expect("runs 1")                                  # the status line after the result
        child.sendintr()
        child.expect("abandoned")
        child.expect(pexpect.EOF)
    except (pexpect.TIMEOUT, pexpect.EOF) as e:
        screen_failure(child, e, tmp_path)
    finally:
        child.close(force=True)
    assert child.exitstatus == 130
    card = show_json(tmp_path, 1)
    assert card["status"] == "abandoned" and "Ctrl-C" in card["abandon_reason"]
    first, second = card["drills"]
    assert (first["status"], first["ended_by"], first["runs"]) == ("fail", "interrupt", 1)
    assert first["failed_properties"] and second["reached"] is False
    listed = json.loads(drill_cmd(tmp_path, "stats", "--json").stdout)
    assert listed["mock_scores"] == []                          # abandoned: not a score


@pytest.mark.slow
def test_mock_closed_terminal_sighup_keeps_the_session(tmp_path):
    child = spawn(tmp_path, ["mock", "--only", "attention", "--minutes", "30"])
    try:
        child.expect("drill 1/1")
        child.expect("left")
        child.kill(signal.SIGHUP)
        child.expect(pexpect.EOF)
    except (pexpect.TIMEOUT, pexpect.EOF) as e:
        screen_failure(child, e, tmp_path)
    finally:
        child.close(force=True)
    card = show_json(tmp_path, 1)
    assert card["status"] == "abandoned" and "SIGHUP" in card["abandon_reason"]
    assert card["drills"][0]["ended_by"] == "interrupt"


@contextmanager
def watching(tmp_path):
    """`drill watch attention` on the untouched stub, past its first screen; yields (child, file).

    On a timeout or an early exit the test fails with the end of the screen; `q` must end it
    cleanly (exit 0) unless the test already did.
    """
    child = spawn(tmp_path, ["watch", "attention"])
    target = tmp_path / "home" / "workspace" / "attention.py"
    try:
        child.expect("NOT STARTED")                             # the first grade of the untouched stub
        child.expect(r"\[q\] quit")
        time.sleep(1.5)                                         # the file watcher starts after the first screen
        yield child, target
        child.send("q")
        child.expect("stopped watching")
        child.expect(pexpect.EOF)
    except (pexpect.TIMEOUT, pexpect.EOF) as e:
        screen_failure(child, e, tmp_path)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0


@pytest.mark.slow
def test_watch_through_a_syntax_error_and_a_fix(tmp_path):
    with watching(tmp_path) as (child, target):
        save(target, "import torch\n\ndef scaled_dot_product_attention(q, k, v, mask=None):\n    return (q @\n")
        child.expect("syntax error")
        child.expect(r"\[q\] quit")
        save(target, ATTENTION.solution_path.read_text())
        child.expect("confirming with more examples")
        child.expect("PASS")
        child.expect(r"\[q\] quit")


@pytest.mark.slow
def test_watch_shows_a_quick_failure_then_refines_it(tmp_path):
    """A wrong save: the unshrunk FAIL comes first, then the refined one with the likely bug."""
    with watching(tmp_path) as (child, target):
        save(target, WRONG_ATTENTION)
        child.expect("FAIL")
        child.expect(r"failing example \(as found, not shrunk\)")
        child.expect("quick check failed; shrinking the counterexample")
        child.expect(r"\[q\] quit")
        child.expect("FAIL")                                    # the refined screen
        child.expect("failing example")
        assert "not shrunk" not in child.before.split("FAIL")[-1]
        child.expect("likely bug: ")
        child.expect(r"\[q\] quit")
        assert "· run 2" in child.before, "one save, one grade (the stub's was run 1)"
        with pytest.raises(pexpect.TIMEOUT):                    # and no second grade of the same content
            child.expect(r"\[q\] quit", timeout=2)


@pytest.mark.slow
def test_watch_a_save_during_the_refining_run_is_graded_without_waiting_for_it(tmp_path):
    with watching(tmp_path) as (child, target):
        save(target, WRONG_ATTENTION)
        child.expect("quick check failed; shrinking the counterexample")
        save(target, ATTENTION.solution_path.read_text())     # fixed while the failure is being refined
        child.expect("confirming with more examples")
        # between the two: the rest of the quick-failure screen only (one footer); waiting for the
        # follow-up run of the old file would have drawn its screen (a second footer) first
        assert child.before.count("[q] quit") == 1, "the follow-up run of the old file was waited for"
        child.expect("PASS")
        child.expect(r"\[q\] quit")
