"""Card statistics (grader.cards.stats): due counts, reviews per day, retention, weak tags."""
from datetime import datetime, timedelta, timezone

import pytest

from grader.cards.deck import parse_deck
from grader.cards.review import ReviewSession
from grader.cards.stats import card_stats
from grader.store import Store

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self):
        self.t = T0

    def __call__(self):
        return self.t


def make_deck(n):
    return parse_deck("\n".join(
        f"## card-{k}\ntags: {'alpha, extra' if k % 2 == 0 else 'beta'}\ndifficulty: 1\nsource: n § h\n\n"
        f"Q: q{k}?\nA: a{k}\n问: 问{k}？\n答: 答{k}\n" for k in range(n)))


@pytest.fixture
def store(drill_home):
    s = Store()
    yield s
    s.close()


def test_retention_counts_only_reviews_of_cards_in_review_state(store):
    cards, clock = make_deck(4), Clock()
    s = ReviewSession(store, cards, now=clock, fuzz=False)
    for cid in ("card-0", "card-1", "card-2"):
        s.rate(cid, 4)                              # new -> review: not counted in retention
    s.rate("card-3", 1)                             # new -> learning, an Again: not counted either
    clock.t = T0 + timedelta(days=40)
    s2 = ReviewSession(store, cards, now=clock, fuzz=False)
    s2.rate("card-0", 1)                            # review-state lapse (tags alpha, extra)
    s2.rate("card-1", 3)                            # review-state pass (tag beta)
    s2.rate("card-2", 1)
    s2.undo()                                       # undone: left out everywhere
    st = card_stats(store, cards, clock.t, weeks=8)
    assert st["retention"]["all_time"] == {"reviews": 2, "passed": 1, "rate": 0.5}
    assert st["retention"]["last_30_days"]["reviews"] == 2
    assert st["reviews"]["total"] == 6 and st["reviews"]["today"] == 2
    days = {d["date"]: d for d in st["reviews"]["days"]}
    assert len(days) == 56 and days[clock.t.date().isoformat()]["again"] == 1
    assert days[T0.date().isoformat()] == {"date": "2025-03-01", "reviews": 4, "again": 1}
    tags = {t["tag"]: t for t in st["tags"]}
    assert tags["alpha"]["again"] == 1 and tags["alpha"]["retention"] == 0.0     # card-2's Again was undone
    assert tags["beta"]["again"] == 1 and tags["beta"]["retention"] == 1.0       # card-3's Again was while learning
    assert [t["tag"] for t in st["tags"]] == ["alpha", "extra", "beta"]          # same Again count: lower retention first


def test_due_counts_now_today_and_this_week(store):
    cards, clock = make_deck(3), Clock()
    s = ReviewSession(store, cards, now=clock, fuzz=False)
    s.rate("card-0", 1)         # due in a minute
    s.rate("card-1", 4)         # due in days
    st = card_stats(store, cards, clock.t + timedelta(minutes=5), weeks=1)
    assert st["due"] == {"now": 1, "today": 1, "week": 1 + (s.history[1].scheduled.interval < timedelta(days=7))}
    assert st["cards"] == {"total": 3, "new": 1, "learning": 1, "review": 1, "relearning": 0}
    assert len(st["reviews"]["days"]) == 7
