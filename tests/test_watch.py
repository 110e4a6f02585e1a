"""Watch's grading steps without a terminal: quick verdict, follow-up, and a save that supersedes it."""
import time

import pytest

from grader import runner
from grader.catalog import load_catalog
from grader.watch import WatchState, follow_up, regrade

DRILL = load_catalog().get("attention")
WRONG = ("import torch\n\n\ndef scaled_dot_product_attention(q, k, v, mask=None):\n"
         "    s = q @ k.transpose(-2, -1)\n"
         "    if mask is not None:\n        s = s.masked_fill(~mask, float('-inf'))\n"
         "    return torch.softmax(s, dim=-1) @ v\n")


def test_follow_up_is_for_passes_and_failures_only():
    assert follow_up({"status": "pass"}) == "confirm" and follow_up({"status": "fail"}) == "refine"
    assert follow_up({"status": "error"}) is None and follow_up({"status": "not_started"}) is None


def test_a_quick_failure_is_shown_unshrunk_then_refined_with_the_likely_bug(drill_home, tmp_path):
    path = tmp_path / "attention.py"
    path.write_text(WRONG)
    seen = []
    final = regrade(WatchState(DRILL, path), lambda st, r: seen.append((st.confirming, r)))
    (c1, quick), (c2, refined) = seen
    assert (c1, quick["status"], quick["profile"]) == (True, "fail", "quick")
    assert quick["diagnosis"] == [] and sum(p["status"] == "fail" for p in quick["properties"]) == 1, \
        "the quick verdict stops at the first failure and names no bug"
    assert (c2, refined["status"], refined["profile"]) == (False, "fail", "default") and final is refined
    assert refined["diagnosis"], "the refined verdict names the likely bug"


def test_a_newer_save_stops_the_follow_up_run(drill_home, tmp_path):
    path = tmp_path / "attention.py"
    path.write_text(WRONG)
    seen = []
    polls = []

    def superseded():
        polls.append(1)
        return len(polls) > 3  # the file 'changes' a few examples into the follow-up run

    started = time.monotonic()
    out = regrade(WatchState(DRILL, path), lambda st, r: seen.append(r["status"]), superseded=superseded)
    assert out is None and seen == ["fail"], "only the quick verdict was reported"
    assert 4 <= len(polls) <= 5 and time.monotonic() - started < 5
    # the grader is still usable: the zygote and its next child are fine
    again = regrade(WatchState(DRILL, path), lambda st, r: None)
    assert again["status"] == "fail"


def test_cancel_stops_a_grade_between_examples(drill_home, tmp_path):
    path = tmp_path / "attention.py"
    path.write_text(WRONG)
    calls = []
    with pytest.raises(runner.Cancelled):
        runner.grade(DRILL, path, profile="thorough", cancel=lambda: calls.append(1) or len(calls) > 10)
    assert 11 <= len(calls) <= 12  # (hypothesis may replay the interrupted example once)
