"""A review session: which card comes next, rating it, undoing the last rating.

Order: cards in (re)learning that are due now, then cards due for review (most overdue
first), then new cards, at most `new_per_day` introduced per UTC day (cards first rated
today, counted from the store, use up the allowance). When nothing else is left, learning
cards due within `learn_ahead` are shown early, as Anki does.

Each rating and each undo is its own transaction, committed before the method returns: a
session can end at any moment (q, Ctrl-C, EOF, a crash) without losing a rating already
given. An undo restores the card's previous state (or makes it new again) and marks the log
`undone = 1`; logs are never deleted. The clock is injectable: `now()` returns aware UTC.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

from grader.cards import schedule
from grader.cards.deck import Card
from grader.cards.library import filter_cards, states
from grader.errors import DrillError


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Rated:
    log_id: int
    card: Card
    rating: int
    scheduled: schedule.Scheduled


def introduced_on(store, day: str) -> int:
    """How many cards were first reviewed on a UTC day ('YYYY-MM-DD')."""
    return store.conn.execute("SELECT COUNT(*) FROM card_states WHERE substr(introduced_at, 1, 10) = ?",
                              (day,)).fetchone()[0]


class ReviewSession:
    def __init__(self, store, cards: list[Card], *, tag: str | None = None, new_per_day: int = 10,
                 limit: int | None = None, now: Callable[[], datetime] = utc_now, fuzz: bool | None = None,
                 learn_ahead: timedelta = timedelta(minutes=20)):
        if new_per_day < 0 or (limit is not None and limit < 0):
            raise DrillError("--new and --limit must be 0 or more")
        self.store, self.now, self.fuzz, self.learn_ahead = store, now, fuzz, learn_ahead
        self.cards = {c.id: c for c in filter_cards(cards, tag)}
        start = schedule.as_utc(now())
        known = states(store)
        due = sorted((s.due, cid) for cid, s in known.items() if cid in self.cards and s.due <= start)
        self.learning: dict[str, datetime] = {       # (re)learning cards due soon, not yet due
            cid: s.due for cid, s in known.items()
            if cid in self.cards and start < s.due <= start + learn_ahead and s.state != "review"}
        self.new_allowance = max(0, new_per_day - introduced_on(store, start.date().isoformat()))
        fresh = [cid for cid in self.cards if cid not in known][:self.new_allowance]
        queue = [cid for _, cid in due] + fresh
        if limit is not None:
            queue = queue[:limit]
        self.due_queue = [cid for cid in queue if cid in known]
        self.new_queue = [cid for cid in queue if cid not in known]
        self.front: list[str] = []        # cards put back by undo, shown first
        self.history: list[Rated] = []    # this session's ratings, for undo
        self._shown_at: dict[str, datetime] = {}

    # -- what next ----------------------------------------------------------------------------
    def remaining(self) -> dict[str, int]:
        """Cards left: due for review, new, and (re)learning steps coming back this session."""
        back_new = sum(self.state_json(cid) is None for cid in self.front)   # undone first reviews
        return {"due": len(self.due_queue) + len(self.front) - back_new, "new": len(self.new_queue) + back_new,
                "learning": len(self.learning)}

    def next_card(self) -> Card | None:
        """The card to show now, or None when the session is done. Does not consume it."""
        now = schedule.as_utc(self.now())
        cid = None
        if self.front:
            cid = self.front[0]
        else:
            soon = sorted((d, c) for c, d in self.learning.items())
            if soon and soon[0][0] <= now:
                cid = soon[0][1]
            elif self.due_queue:
                cid = self.due_queue[0]
            elif self.new_queue:
                cid = self.new_queue[0]
            elif soon and soon[0][0] <= now + self.learn_ahead:
                cid = soon[0][1]
        if cid is None:
            return None
        self._shown_at.setdefault(cid, now)
        return self.cards[cid]

    def state_json(self, card_id: str) -> str | None:
        row = self.store.conn.execute("SELECT state_json FROM card_states WHERE card_id=?", (card_id,)).fetchone()
        return row["state_json"] if row else None

    def preview(self, card_id: str) -> dict[int, timedelta]:
        """The interval each rating would give this card now."""
        return schedule.preview(self.state_json(card_id), schedule.as_utc(self.now()))

    # -- rating and undo --------------------------------------------------------------------
    def rate(self, card_id: str, rating: int) -> Rated:
        """Schedule the card and log the review, in one committed transaction."""
        if card_id not in self.cards:
            raise DrillError(f"no card {card_id!r} in this session")
        card = self.cards[card_id]
        now = schedule.as_utc(self.now())
        shown = self._shown_at.pop(card_id, now)
        with self.store.tx() as c:
            row = c.execute("SELECT state_json FROM card_states WHERE card_id=?", (card_id,)).fetchone()
            before = row["state_json"] if row else None
            sched = schedule.review(before, rating, now, fuzz=self.fuzz)
            c.execute(
                "INSERT INTO card_states(card_id, deck, state_json, due, content_hash, introduced_at) "
                "VALUES (?,?,?,?,?,?) ON CONFLICT(card_id) DO UPDATE SET deck=excluded.deck, "
                "state_json=excluded.state_json, due=excluded.due, content_hash=excluded.content_hash",
                (card_id, card.deck, sched.state_json, schedule.iso(sched.due), card.content_hash, schedule.iso(now)))
            cur = c.execute(
                "INSERT INTO review_logs(card_id, rating, reviewed_at, duration_ms, state_before_json) VALUES (?,?,?,?,?)",
                (card_id, rating, schedule.iso(now), int(max((now - shown).total_seconds(), 0) * 1000), before))
        rated = Rated(int(cur.lastrowid), card, rating, sched)
        self.history.append(rated)
        self._take(card_id)
        if sched.due <= now + self.learn_ahead:
            self.learning[card_id] = sched.due   # Again / early learning steps come back this session
        return rated

    def undo(self) -> Rated | None:
        """Take back this session's last rating; the card is shown again next. None if nothing to undo."""
        if not self.history:
            return None
        last = self.history.pop()
        with self.store.tx() as c:
            row = c.execute("SELECT state_before_json, undone FROM review_logs WHERE id=?", (last.log_id,)).fetchone()
            if row is None or row["undone"]:
                raise DrillError(f"review {last.log_id} is gone or already undone; nothing changed")
            before = row["state_before_json"]
            if before is None:      # it was new: it becomes new again (and no longer counts as introduced)
                c.execute("DELETE FROM card_states WHERE card_id=?", (last.card.id,))
            else:
                c.execute("UPDATE card_states SET state_json=?, due=? WHERE card_id=?",
                          (before, schedule.iso(schedule.due_of(before)), last.card.id))
            c.execute("UPDATE review_logs SET undone=1 WHERE id=?", (last.log_id,))
        self._take(last.card.id)
        self.front.insert(0, last.card.id)
        return last

    def _take(self, card_id: str) -> None:
        for q in (self.front, self.due_queue, self.new_queue):
            if card_id in q:
                q.remove(card_id)
        self.learning.pop(card_id, None)
