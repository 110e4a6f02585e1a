"""FSRS scheduling (grader.cards.schedule) with fuzzing off: deterministic intervals."""
import json
from datetime import datetime, timedelta, timezone

import pytest

from grader.cards import schedule

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)


def test_a_new_card_gets_learning_steps_then_days_and_more_for_better_ratings():
    got = {r: schedule.review(None, r, T0, fuzz=False) for r in (1, 2, 3, 4)}
    assert got[1].interval == timedelta(minutes=1) and got[1].state == "learning"
    assert got[3].interval == timedelta(minutes=10) and got[3].state == "learning"
    assert got[4].state == "review" and got[4].interval >= timedelta(days=1)
    intervals = [got[r].interval for r in (1, 2, 3, 4)]
    assert intervals == sorted(intervals) and len(set(intervals)) == 4


def test_intervals_are_monotone_in_the_rating_for_a_card_in_review():
    s = schedule.review(None, 3, T0, fuzz=False)              # learning, 10 minutes
    s = schedule.review(s.state_json, 3, s.due, fuzz=False)   # graduates to review
    assert s.state == "review"
    at = s.due
    nxt = {r: schedule.review(s.state_json, r, at, fuzz=False) for r in (1, 2, 3, 4)}
    intervals = [nxt[r].interval for r in (1, 2, 3, 4)]
    assert intervals == sorted(intervals) and len(set(intervals)) == 4
    assert nxt[2].interval >= timedelta(days=1)


def test_again_sends_a_review_card_to_relearning():
    s = schedule.review(None, 4, T0, fuzz=False)
    assert s.state == "review"
    lapse = schedule.review(s.state_json, 1, s.due, fuzz=False)
    assert lapse.state == "relearning"
    assert lapse.interval == timedelta(minutes=10)
    assert schedule.state_name(lapse.state_json) == "relearning"


def test_good_every_time_grows_the_interval():
    s = schedule.review(None, 3, T0, fuzz=False)
    s = schedule.review(s.state_json, 3, s.due, fuzz=False)
    gaps = []
    for _ in range(4):
        s = schedule.review(s.state_json, 3, s.due, fuzz=False)
        gaps.append(s.interval)
    assert gaps == sorted(gaps) and gaps[0] < gaps[-1]


def test_without_fuzz_the_same_history_gives_the_same_schedule():
    def run():
        s = schedule.review(None, 4, T0, fuzz=False)
        return schedule.review(s.state_json, 3, s.due + timedelta(days=3), fuzz=False)
    a, b = run(), run()
    assert a.due == b.due and a.state_json == b.state_json


def test_the_state_round_trips_through_json_in_utc():
    s = schedule.review(None, 4, T0, fuzz=False)
    data = json.loads(s.state_json)
    assert data["state"] == 2 and data["last_review"].endswith("+00:00")
    assert schedule.due_of(s.state_json) == s.due and s.due.tzinfo is not None
    assert schedule.state_name(None) == "new"


def test_preview_matches_what_rating_does():
    s = schedule.review(None, 3, T0, fuzz=False)
    at = s.due
    pre = schedule.preview(s.state_json, at)
    assert pre == {r: schedule.review(s.state_json, r, at, fuzz=False).interval for r in (1, 2, 3, 4)}


def test_fuzzing_is_configurable_by_environment(monkeypatch):
    monkeypatch.setenv("DRILL_CARDS_FUZZ", "0")
    assert schedule.fuzz_default() is False
    monkeypatch.setenv("DRILL_CARDS_FUZZ", "1")
    assert schedule.fuzz_default() is True
    assert schedule.scheduler(False).enable_fuzzing is False


def test_a_bad_rating_is_refused():
    with pytest.raises(ValueError):
        schedule.review(None, 5, T0, fuzz=False)


@pytest.mark.parametrize("delta, text", [(timedelta(seconds=30), "<1m"), (timedelta(minutes=10), "10m"),
                                         (timedelta(hours=5), "5h"), (timedelta(days=8), "8d"),
                                         (timedelta(days=400), "1.1y")])
def test_human_intervals(delta, text):
    assert schedule.human_interval(delta) == text
