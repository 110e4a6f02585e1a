"""The review session (grader.cards.review) and the review loop that drives it with keys."""
from datetime import datetime, timedelta, timezone
from io import StringIO

import pytest
from rich.console import Console

from grader.cards import schedule
from grader.cards.deck import parse_deck
from grader.cards.review import ReviewSession, introduced_on
from grader.cli_cards import review_loop
from grader.errors import DrillError
from grader.store import Store

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)


def make_deck(n: int = 5, back: str = "an answer") -> list:
    blocks = []
    for k in range(n):
        tags = "alpha, extra" if k % 2 == 0 else "beta"
        blocks.append(f"## card-{k}\ntags: {tags}\ndifficulty: 1\nsource: n.txt § h\n\n"
                      f"Q: question {k}?\nA: {back} {k}\n问: 问题 {k}？\n答: 回答 {k}\n")
    return parse_deck("\n".join(blocks), path="t.md", deck="t")


class Clock:
    def __init__(self, t: datetime = T0):
        self.t = t

    def __call__(self) -> datetime:
        return self.t


@pytest.fixture
def store(drill_home):
    s = Store()
    yield s
    s.close()


def session(store, cards, clock, **kw):
    kw.setdefault("new_per_day", 10)
    return ReviewSession(store, cards, now=clock, fuzz=False, **kw)


def logs(store):
    return [dict(r) for r in store.conn.execute("SELECT card_id, rating, undone, state_before_json FROM review_logs ORDER BY id")]


def test_new_cards_come_in_deck_order_up_to_the_daily_limit(store):
    s = session(store, make_deck(), Clock(), new_per_day=2)
    assert s.remaining() == {"due": 0, "new": 2, "learning": 0}
    assert s.next_card().id == "card-0"
    s.rate("card-0", 4)
    assert s.next_card().id == "card-1"


def test_cards_introduced_today_count_against_the_new_limit(store):
    cards, clock = make_deck(), Clock()
    first = session(store, cards, clock, new_per_day=3)
    first.rate("card-0", 4)
    first.rate("card-1", 4)
    assert introduced_on(store, "2025-03-01") == 2
    again = session(store, cards, clock, new_per_day=3)
    assert again.remaining()["new"] == 1 and again.next_card().id == "card-2"
    tomorrow = session(store, cards, Clock(T0 + timedelta(days=1)), new_per_day=3)
    assert tomorrow.remaining()["new"] == 3


def test_due_cards_come_before_new_ones_most_overdue_first(store):
    cards, clock = make_deck(), Clock()
    s = session(store, cards, clock, new_per_day=2)
    s.rate("card-0", 4)                                   # review, due in days
    clock.t += timedelta(minutes=1)
    s.rate("card-1", 4)
    later = Clock(T0 + timedelta(days=60))
    s2 = session(store, cards, later, new_per_day=2)
    assert s2.remaining() == {"due": 2, "new": 2, "learning": 0}
    order = []
    while (card := s2.next_card()) is not None and len(order) < 4:
        order.append(card.id)
        s2.rate(card.id, 4)
    assert order == ["card-0", "card-1", "card-2", "card-3"]


def test_again_brings_the_card_back_in_the_same_session_after_the_others(store):
    cards, clock = make_deck(3), Clock()
    s = session(store, cards, clock)
    s.rate("card-0", 1)
    assert s.remaining()["learning"] == 1
    assert s.next_card().id == "card-1"     # not yet due: the others first
    clock.t += timedelta(minutes=2)
    assert s.next_card().id == "card-0"     # due now: learning steps come first
    s.rate("card-0", 3)
    s.rate("card-1", 4)
    s.rate("card-2", 4)
    assert s.next_card().id == "card-0"     # shown early: nothing else is left
    s.rate("card-0", 3)
    assert s.next_card() is None


def test_limit_and_tag_shrink_the_session(store):
    cards = make_deck(6)
    assert session(store, cards, Clock(), limit=2).remaining()["new"] == 2
    tagged = session(store, cards, Clock(), tag="beta")
    assert tagged.remaining()["new"] == 3 and tagged.next_card().id == "card-1"
    with pytest.raises(DrillError):
        session(store, cards, Clock(), new_per_day=-1)


def test_each_rating_is_committed_at_once(store):
    s = session(store, make_deck(), Clock())
    s.rate("card-0", 3)
    with Store(store.path) as other:          # a second connection sees it: no open transaction
        row = other.conn.execute("SELECT card_id, rating, reviewed_at, undone FROM review_logs").fetchone()
        assert tuple(row) == ("card-0", 3, "2025-03-01T09:00:00+00:00", 0)
        state = other.conn.execute("SELECT state_json, due, introduced_at FROM card_states").fetchone()
        assert state["due"] == "2025-03-01T09:10:00+00:00" and state["introduced_at"].startswith("2025-03-01")


def test_undo_restores_the_previous_state_and_marks_the_log_undone(store):
    cards, clock = make_deck(), Clock()
    s = session(store, cards, clock)
    s.rate("card-0", 4)
    before = store.conn.execute("SELECT state_json, due FROM card_states WHERE card_id='card-0'").fetchone()
    clock.t += timedelta(days=30)
    s2 = session(store, cards, clock)
    assert s2.next_card().id == "card-0"
    s2.rate("card-0", 1)
    assert schedule.state_name(s2.state_json("card-0")) == "relearning"
    undone = s2.undo()
    assert undone.card.id == "card-0" and undone.rating == 1
    after = store.conn.execute("SELECT state_json, due FROM card_states WHERE card_id='card-0'").fetchone()
    assert tuple(after) == tuple(before)
    assert [(r["card_id"], r["rating"], r["undone"]) for r in logs(store)] == [("card-0", 4, 0), ("card-0", 1, 1)]
    assert s2.next_card().id == "card-0"    # shown again next
    assert s2.undo() is None                 # nothing more to undo in this session


def test_undoing_a_first_review_makes_the_card_new_again(store):
    cards, clock = make_deck(), Clock()
    s = session(store, cards, clock, new_per_day=2)
    s.rate("card-0", 3)
    s.rate("card-1", 3)
    s.undo()
    assert s.state_json("card-1") is None
    assert introduced_on(store, "2025-03-01") == 1
    assert s.remaining()["new"] == 1 and s.next_card().id == "card-1"
    assert [r["undone"] for r in logs(store)] == [0, 1]


def test_editing_a_card_keeps_its_schedule(store):
    clock = Clock()
    s = session(store, make_deck(back="old text"), clock)
    s.rate("card-0", 4)
    old_hash = store.conn.execute("SELECT content_hash FROM card_states").fetchone()[0]
    clock.t += timedelta(days=60)
    edited = make_deck(back="new text")
    s2 = session(store, edited, clock)
    assert s2.next_card().id == "card-0" and s2.state_json("card-0") is not None
    s2.rate("card-0", 3)
    new_hash = store.conn.execute("SELECT content_hash FROM card_states").fetchone()[0]
    assert new_hash != old_hash and schedule.state_name(s2.state_json("card-0")) == "review"


# -- the key-driven loop -----------------------------------------------------------------------
def keys(*seq):
    it = iter(seq)

    def read():
        k = next(it, "")
        if isinstance(k, BaseException):
            raise k
        return k
    return read


def test_the_loop_reveals_rates_undoes_and_quits(store):
    clock = Clock()
    s = session(store, make_deck(), clock, new_per_day=3)
    out = Console(file=StringIO(), width=80)
    ratings = review_loop(s, out, keys(" ", "3", "\n", "1", "u", " ", "4", "x", "q"), "en")
    assert ratings == [3, 4]
    assert [(r["card_id"], r["rating"], r["undone"]) for r in logs(store)] == [
        ("card-0", 3, 0), ("card-1", 1, 1), ("card-1", 4, 0)]
    text = out.file.getvalue()
    assert "question 0?" in text and "an answer 0" in text and "undid card-1 (Again)" in text


@pytest.mark.parametrize("stop", ["", "\x03", "\x04", KeyboardInterrupt()])
def test_quitting_at_any_key_keeps_ratings_already_given(store, stop):
    s = session(store, make_deck(), Clock())
    ratings = review_loop(s, Console(file=StringIO()), keys(" ", "2", " ", stop), "zh")
    assert ratings == [2]
    with Store(store.path) as other:
        assert other.conn.execute("SELECT COUNT(*) FROM review_logs WHERE undone=0").fetchone()[0] == 1


def test_the_loop_says_when_there_is_nothing_to_review(store):
    out = Console(file=StringIO(), width=80)
    assert review_loop(session(store, make_deck(), Clock(), new_per_day=0), out, keys(), "en") == []
    assert "Nothing to review" in out.file.getvalue()
