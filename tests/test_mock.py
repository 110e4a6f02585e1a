"""The mock interview engine (grader.mock) without a terminal, torch or real minutes.

Selection and scoring are pure functions; sessions run with a fake clock, a fake grader
(the verdict is written in the file: PASS / FAIL / nothing) and scripted events.
"""
import json
import os
import signal
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest
from typer.testing import CliRunner

from grader import mock
from grader.cards.deck import Card
from grader.catalog import Drill, FollowUp, load_catalog
from grader.cli import app
from grader.cli_practice import run_session
from grader.errors import DrillError
from grader.mock import MockSession, SessionUI, abandon_stale, pace_plan, pick_cards, score, select_drills
from grader.store import Store
from grader.watch import WatchEvent

runner = CliRunner()
CATALOG = load_catalog()
ATTENTION = CATALOG.get("attention")
SECOND = next(d for d in CATALOG.drills if d.slug != "attention")   # any other drill: the catalogue grows


def fake_drill(slug, topic, difficulty="easy", minutes=10, order=0):
    return Drill(slug=slug, title=slug.title(), topic=topic, difficulty=difficulty, minutes=minutes,
                 entry_points=("f",), summary="", order=order,
                 followups=(FollowUp(f"{slug} q1", "a1"), FollowUp(f"{slug} q2", "a2"), FollowUp(f"{slug} q3", "a3")))


POOL = [fake_drill("a1", "attention", "easy", 15, 0), fake_drill("a2", "attention", "medium", 30, 1),
        fake_drill("l1", "loss", "medium", 20, 2), fake_drill("p1", "position", "medium", 20, 3),
        fake_drill("t1", "tokenization", "hard", 45, 4), fake_drill("n1", "normalization", "easy", 10, 5)]


# -- selection ------------------------------------------------------------------------------
def test_selection_is_reproducible_with_a_seed():
    picks = {tuple(d.slug for d in select_drills(POOL, {}, 2, seed)) for seed in range(40)}
    assert len(picks) > 3                                           # the seed matters...
    for seed in range(10):                                          # ...and decides alone
        assert select_drills(POOL, {}, 3, seed) == select_drills(list(POOL), {}, 3, seed)


def test_unsolved_drills_come_before_solved_ones():
    solved = {d.slug: {"attempts": 1, "passes": 1} for d in POOL if d.slug != "p1"}
    for seed in range(20):
        assert "p1" in [d.slug for d in select_drills(POOL, solved, 1, seed)]


def test_weak_topics_come_first_among_unsolved_drills():
    failing = {"l1": {"attempts": 4, "passes": 0}}                  # loss: failed 4 times
    for seed in range(20):
        assert [d.slug for d in select_drills(POOL, failing, 1, seed)] == ["l1"]
    assert mock.topic_weakness(POOL, failing)["loss"] == pytest.approx(5 / 6)
    assert mock.topic_weakness(POOL, failing)["position"] == 0.5


def test_one_drill_per_topic_before_repeating_a_topic_and_easiest_first():
    for seed in range(20):
        chosen = select_drills(POOL, {}, 5, seed)
        assert len({d.topic for d in chosen}) == 5
        ranks = [list(mock.DIFFICULTY_WEIGHT).index(d.difficulty) for d in chosen]
        assert ranks == sorted(ranks)
    assert len(select_drills(POOL, {}, 6, 1)) == 6                  # then topics repeat


def test_topic_filter_and_only_and_errors():
    assert {d.topic for d in select_drills(POOL, {}, 5, 3, topic="attention")} == {"attention"}
    assert [d.slug for d in select_drills(POOL, {}, 1, 3, only=["t1", "a1"])] == ["t1", "a1"]
    with pytest.raises(DrillError, match="topic"):
        select_drills(POOL, {}, 2, 1, topic="nope")
    with pytest.raises(DrillError, match="no drill named"):
        select_drills(POOL, {}, 2, 1, only=["a1", "nope"])


def test_pace_is_the_budget_split_by_catalogue_minutes():
    assert pace_plan([15, 30], 900) == [300.0, 600.0]
    assert sum(pace_plan([10, 20, 45], 1800)) == pytest.approx(1800)


def make_card(cid, tags):
    return Card(id=cid, front_en=f"{cid}?", back_en="yes", front_zh=f"{cid}？", back_zh="是", tags=tuple(tags),
                difficulty=2, sources=("x",))


def test_cards_match_the_drill_topics_and_are_seeded():
    cards = [make_card(f"att-{i}", ["attention"]) for i in range(6)] + [make_card("loss-1", ["models", "loss"]),
                                                                         make_card("other", ["misc"])]
    got = pick_cards(cards, ["attention", "loss"], seed=5, n=3)
    assert len(got) == 3 and "loss-1" in [q.ref for q in got]       # the topics take turns
    assert all(q.ref != "other" for q in got)
    assert [q.ref for q in got] == [q.ref for q in pick_cards(cards, ["attention", "loss"], seed=5, n=3)]
    assert pick_cards(cards, ["nothing"], seed=5) == []
    assert pick_cards(cards, ["attention"], 1, n=1, lang="zh")[0].front.endswith("？")


# -- scoring --------------------------------------------------------------------------------
def test_score_weights_coding_by_difficulty_and_parts_70_20_10():
    drills = [{"status": "pass", "difficulty": "easy"}, {"status": "error", "difficulty": "medium"}]
    qs = [{"kind": "followup", "score": 2}, {"kind": "followup", "score": 0},
          {"kind": "card", "score": 1}, {"kind": "card", "score": None}]
    s = score(drills, qs)
    assert s["parts"]["coding"] == pytest.approx(1 / 3, abs=1e-4)
    assert s["parts"]["followups"] == 0.5 and s["parts"]["cards"] == 0.25
    assert s["overall"] == round(100 * (0.7 / 3 + 0.2 * 0.5 + 0.1 * 0.25))
    assert "70%" in s["rationale"] and s["rationale"].endswith(f"= {s['overall']}/100")


def test_failing_submission_gets_partial_credit_and_empty_parts_give_their_weight_away():
    fail = {"status": "fail", "difficulty": "hard", "properties_passed": 3, "properties_total": 4}
    s = score([fail], [])
    assert s["weights"] == {"coding": 1.0}
    assert s["overall"] == round(100 * mock.FAIL_CREDIT * 0.75)
    assert score([], [])["overall"] == 0
    assert score([{"status": "pass", "difficulty": "hard"}], [{"kind": "card", "score": 2}])["overall"] == 100


# -- sessions -------------------------------------------------------------------------------
class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


class Recorder(SessionUI):
    def __init__(self):
        self.seen = []

    def drill_started(self, s, run):
        self.seen.append(("drill", run.drill.slug))

    def graded(self, s, run, result, confirming):
        self.seen.append(("graded", run.drill.slug, result["status"], confirming))

    def warning(self, s, left):
        self.seen.append(("warning", left))

    def coding_over(self, s, reason):
        self.seen.append(("over", reason))


def fake_result(drill, path, status, profile):
    props = {"pass": [("a", "pass"), ("b", "pass")], "fail": [("a", "pass"), ("b", "fail")]}.get(status, [])
    return {"drill": drill.slug, "file": str(path), "status": status, "message": status, "next_step": "drill hint x",
            "detail": None, "diagnosis": [{"id": "m", "title": "no scaling", "explain": ""}] if status == "fail" else [],
            "properties": [{"name": n, "title": n, "device": "cpu", "dtype": "float32", "status": st} for n, st in props],
            "devices": {}, "output": "", "profile": profile, "seed": None, "duration_s": 0.5}


class FakeGrader:
    def __init__(self):
        self.calls = []

    def __call__(self, drill, path, quick):
        self.calls.append((drill.slug, quick))
        text = path.read_text()
        status = "pass" if "PASS" in text else "fail" if "FAIL" in text else "not_started"
        return fake_result(drill, path, status, "quick" if quick else "default")


def scripted(clock, steps):
    """An events(run) factory playing (seconds to wait, event) steps; callables act on the run."""
    it = iter(steps)

    def events(run):
        for step in it:
            if callable(step):
                step(run)
                continue
            dt, ev = step
            clock.t += dt
            yield ev
    return events


def write(text):
    return lambda run: run.path.write_text(text)


SAVE, TICK = WatchEvent("save"), WatchEvent("tick")


@pytest.fixture
def session_parts(drill_home, tmp_path):
    store = Store()
    clock, grader, ui = Clock(), FakeGrader(), Recorder()

    def make(drills=(ATTENTION, SECOND), minutes=10, **kw):
        kw.setdefault("grader", grader)
        return MockSession(store, list(drills), budget_s=minutes * 60, seed=3, workspace_root=tmp_path / "ws",
                           clock=clock, ui=ui, **kw)
    yield store, clock, grader, ui, make
    store.close()


def stored(store, sid):
    return store.mock_session(sid)


def test_a_pass_moves_on_and_time_up_submits_the_rest(session_parts, tmp_path):
    store, clock, grader, ui, make = session_parts
    s = make()
    s.start()
    first, second = s.runs
    assert first.path == tmp_path / "ws" / f"mock-{s.id}" / "attention.py"
    assert first.path.read_bytes() == ATTENTION.stub_path.read_bytes()
    assert not (tmp_path / "ws" / "attention.py").exists()         # the normal workspace copy is never made
    s.run_coding(scripted(clock, [
        write("FAIL"), (60, SAVE),
        lambda run: _check_incremental(store, s.id),
        write("PASS"), (60, SAVE),                                  # quick pass, confirmed -> next drill
        (240, TICK), (60, TICK), (120, TICK), (60, TICK),           # 5 min left, 1 min left, time up
    ]))
    assert ("graded", "attention", "pass", True) in ui.seen and ("drill", SECOND.slug) in ui.seen
    assert ("graded", "attention", "fail", True) in ui.seen          # a quick failure is shown, then refined
    assert [x for x in ui.seen if x[0] in ("warning", "over")] == [("warning", 300), ("warning", 60), ("over", "time")]
    # quick + default for the failing save, quick + default for the passing one; the 2nd drill is untouched
    assert grader.calls == [("attention", True), ("attention", False), ("attention", True), ("attention", False)]
    card = stored(store, s.id)["scorecard"]
    a, b = card["drills"]
    assert (a["status"], a["ended_by"], a["runs"], a["time_used_s"]) == ("pass", "pass", 2, 120.0)
    assert (b["status"], b["ended_by"], b["reached"], b["time_used_s"], b["runs"]) == ("not_started", "time", True, 480.0, 0)
    assert s.phase == "questions" and card["phase"] == "questions"
    assert [q["ref"] for q in card["questions"] if q["kind"] == "followup"][:2] == ["attention", "attention"]
    assert store.attempts()[0]["mode"] == "mock" and len(store.attempts()) == 2
    assert store.solve_times("attention")                          # the mock's pass is a solve


def _check_incremental(store, sid):
    card = store.mock_session(sid)["scorecard"]
    assert card["drills"][0]["status"] == "fail" and card["drills"][0]["runs"] == 1
    assert card["drills"][0]["failed_properties"] == ["b"] and card["status"] == "running"


def test_a_leftover_session_folder_is_kept_aside_not_reused(session_parts, tmp_path):
    store, clock, grader, ui, make = session_parts
    old = tmp_path / "ws" / "mock-1" / "attention.py"
    old.parent.mkdir(parents=True)
    old.write_text("PASS  # from a store that was deleted")
    s = make(drills=[ATTENTION])
    assert s.start() == 1
    assert s.runs[0].path.read_bytes() == ATTENTION.stub_path.read_bytes()
    kept = list((tmp_path / "ws").glob("mock-1.previous-*/attention.py"))
    assert len(kept) == 1 and kept[0].read_text().startswith("PASS")


def test_skip_submits_as_it_stands_and_quit_ends_the_coding_part(session_parts):
    store, clock, grader, ui, make = session_parts
    s = make()
    s.start()
    s.run_coding(scripted(clock, [write("FAIL"), (30, WatchEvent("key", "s")),
                                  write("FAIL"), (30, WatchEvent("key", "q"))]))
    card = s.scorecard()
    assert [(d["status"], d["ended_by"]) for d in card["drills"]] == [("fail", "skip"), ("fail", "quit")]
    assert grader.calls == [("attention", False), (SECOND.slug, False)]     # one default-profile grade each
    assert card["drills"][0]["diagnosis"] == ["no scaling"]
    assert s.phase == "questions"


def test_a_save_the_watcher_missed_is_found_by_polling_and_an_unchanged_save_is_ignored(session_parts):
    store, clock, grader, ui, make = session_parts
    s = make(drills=[ATTENTION])
    s.start()
    s.run_coding(scripted(clock, [(1, SAVE), write("FAIL")] + [(0.05, TICK)] * (2 * mock.POLL_EVERY)
                          + [(1, SAVE), (1, WatchEvent("key", "q"))]))
    # the stub saved unchanged: nothing; the write without a save event: found by polling
    # (quick verdict, then the default run that refines the failure); the save of that same
    # content: nothing; q: submitted as already graded with the default profile, not graded again
    assert grader.calls == [("attention", True), ("attention", False)]
    assert s.runs[0].runs == 1 and s.runs[0].status == "fail"


def test_a_grader_crash_is_an_error_result_not_the_end_of_the_session(session_parts):
    store, clock, grader, ui, make = session_parts

    def broken(drill, path, quick):
        raise RuntimeError("boom")
    s = make(drills=[ATTENTION], grader=broken)
    s.start()
    s.run_coding(scripted(clock, [write("x = 1"), (1, SAVE), (1, WatchEvent("key", "q"))]))
    assert s.status == "running" and s.phase == "questions"
    assert s.runs[0].status == "error" and "grader itself failed" in s.runs[0].last["message"]


def test_the_end_of_events_ends_the_coding_part(session_parts):
    store, clock, grader, ui, make = session_parts
    s = make(drills=[ATTENTION])
    s.start()
    s.run_coding(scripted(clock, [(5, TICK)]))
    assert s.phase == "questions" and s.runs[0].ended_by == "quit"


def test_questions_are_self_graded_and_the_session_is_finished(session_parts):
    store, clock, grader, ui, make = session_parts
    s = make(drills=[ATTENTION], cards=[make_card("c1", ["attention"]), make_card("c2", ["attention"])],
             cards_per_session=2)
    s.start()
    s.run_coding(scripted(clock, [write("PASS"), (60, SAVE)]))
    assert [q.kind for q in s.questions] == ["followup", "followup", "card", "card"]
    keys = iter(["x", "\n", "y", None, "\r", "1", " ", "n", "q"])
    s.run_questions(lambda timeout: next(keys))
    assert [q.score for q in s.questions] == [2, 1, 0, None]
    card = s.finish()
    assert stored(store, s.id)["status"] == "finished" and card["followups"]["points"] == 3
    assert card["cards"] == {"asked": 2, "answered": 1, "points": 0, "max": 4}
    assert card["score"]["overall"] == round(100 * (0.7 * 1 + 0.2 * 0.75 + 0.1 * 0))
    assert store.mock_scores() == [{"started_at": card["started_at"], "score": float(card["score"]["overall"])}]


@contextmanager
def no_keys():
    yield lambda timeout: None


def test_ctrl_c_stores_the_session_as_abandoned_with_the_work_so_far(session_parts):
    store, clock, grader, ui, make = session_parts
    s = make()
    steps = scripted(clock, [write("FAIL"), (30, SAVE), (10, TICK)])

    def events(run, read_key):
        yield from steps(run)
        raise KeyboardInterrupt
    code, ended = run_session(s, key_source=no_keys, events=events)
    assert code == 130 and isinstance(ended, KeyboardInterrupt)
    row = stored(store, s.id)
    assert row["status"] == "abandoned" and row["ended_at"]
    card = row["scorecard"]
    assert card["status"] == "abandoned" and "Ctrl-C" in card["abandon_reason"]
    assert (card["drills"][0]["status"], card["drills"][0]["ended_by"], card["drills"][0]["runs"]) == ("fail", "interrupt", 1)
    assert card["drills"][1]["reached"] is False
    assert store.mock_scores() == []                                # abandoned sessions are not scored in stats


def test_sigterm_is_caught_and_the_session_abandoned(session_parts):
    store, clock, grader, ui, make = session_parts
    s = make()

    def events(run, read_key):
        yield TICK
        os.kill(os.getpid(), signal.SIGTERM)
        yield TICK
    code, ended = run_session(s, key_source=no_keys, events=events)
    assert code == 143 and stored(store, s.id)["status"] == "abandoned"
    assert "SIGTERM" in stored(store, s.id)["scorecard"]["abandon_reason"]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL or callable(signal.getsignal(signal.SIGTERM))


def test_stale_running_sessions_are_marked_abandoned(drill_home):
    now = datetime.now(timezone.utc)
    with Store() as store:
        def running(ends_in_s, pid):
            cfg = {"ends_at": (now + timedelta(seconds=ends_in_s)).isoformat(), "pid": pid,
                   "host": mock.socket.gethostname(), "minutes": 1}
            sid = store.create_mock_session(cfg, 1)
            store.save_mock_session(sid, {"status": "running", "drills": [{"slug": "x", "state": "active"}]})
            return sid
        future, dead, alive, ancient = running(600, 11), running(-600, 22), running(-600, 33), running(-7 * 3600, 33)
        got = abandon_stale(store, now=now, alive=lambda pid: pid == 33)
        assert sorted(got) == [dead, ancient]
        assert store.mock_session(future)["status"] == "running" and store.mock_session(alive)["status"] == "running"
        card = store.mock_session(dead)["scorecard"]
        assert card["status"] == "abandoned" and card["drills"][0]["ended_by"] == "interrupt"
        assert abandon_stale(store, now=now, alive=lambda pid: pid == 33) == []


def test_history_json_lists_sessions_and_attempts_and_shows_one(session_parts):
    store, clock, grader, ui, make = session_parts
    s = make(drills=[ATTENTION])
    s.start()
    s.run_coding(scripted(clock, [write("PASS"), (60, SAVE)]))
    s.finish()
    r = runner.invoke(app, ["history", "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["schema_version"] == 1
    assert data["sessions"][0]["id"] == s.id and data["sessions"][0]["status"] == "finished"
    assert data["sessions"][0]["drills"] == [{"slug": "attention", "status": "pass", "ended_by": "pass"}]
    assert {a["mode"] for a in data["attempts"]} == {"mock"}
    r = runner.invoke(app, ["history", "show", str(s.id), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output) == {**s.scorecard(), "status": "finished"}
    r = runner.invoke(app, ["history", "show", str(s.id)])
    assert r.exit_code == 0 and "score" in r.output and "attention" in r.output
    r = runner.invoke(app, ["history", "show", "999"])
    assert r.exit_code == 2 and "no mock interview" in r.output
    r = runner.invoke(app, ["history"])
    assert r.exit_code == 0 and "mock interviews" in r.output


def test_mock_scores_skip_unfinished_sessions(drill_home):
    with Store() as store:
        a = store.create_mock_session({}, 1, started_at="2025-01-01T00:00:00+00:00")
        store.save_mock_session(a, {"score": {"overall": 40}}, status="finished")
        b = store.create_mock_session({}, 1, started_at="2025-01-02T00:00:00+00:00")
        store.save_mock_session(b, {"score": {"overall": 90}}, status="abandoned")
        c = store.create_mock_session({}, 1, started_at="2025-01-03T00:00:00+00:00")
        store.save_mock_session(c, {"score": {"overall": 70}}, status="finished")
        assert store.mock_scores() == [{"started_at": "2025-01-01T00:00:00+00:00", "score": 40.0},
                                       {"started_at": "2025-01-03T00:00:00+00:00", "score": 70.0}]
        assert [x["id"] for x in store.mock_sessions()] == [c, b, a]
        assert [x["id"] for x in store.mock_sessions(status="abandoned")] == [b]
