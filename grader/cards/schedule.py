"""FSRS scheduling behind a small, serialisable interface.

A card's schedule is the `fsrs.Card` serialised to JSON (`state_json`); a card never
reviewed has no state. `fsrs` is imported lazily, so importing this module is free.
Fuzzing (a small random spread of long intervals) is on by default and off when
`DRILL_CARDS_FUZZ=0` or `fuzz=False` (tests).

    >>> s = review(None, 3, datetime(2025, 1, 1, tzinfo=timezone.utc), fuzz=False)
    >>> s.state, s.due.isoformat()
    ('learning', '2025-01-01T00:10:00+00:00')
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache

RATINGS = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}
STATES = {1: "learning", 2: "review", 3: "relearning"}  # fsrs.State values; no state = "new"


@dataclass(frozen=True)
class Scheduled:
    state_json: str     # the fsrs card after the review
    due: datetime       # UTC
    state: str          # learning | review | relearning
    interval: timedelta  # due - review time


def fuzz_default() -> bool:
    return os.environ.get("DRILL_CARDS_FUZZ", "1").strip().lower() not in ("0", "false", "no", "off")


@lru_cache(maxsize=2)
def scheduler(fuzz: bool):
    from fsrs import Scheduler

    return Scheduler(enable_fuzzing=fuzz)


def _fsrs_card(state_json: str | None, now: datetime):
    from fsrs import Card

    if state_json is None:
        return Card(card_id=0, due=now)   # card_id is fsrs' own; ours is the text id
    return Card.from_json(state_json)


def review(state_json: str | None, rating: int, now: datetime, fuzz: bool | None = None) -> Scheduled:
    """Apply one rating (1 Again .. 4 Easy) at `now` (aware, UTC) to a card's state."""
    from fsrs import Rating

    if rating not in RATINGS:
        raise ValueError(f"rating must be 1, 2, 3 or 4, not {rating!r}")
    now = as_utc(now)
    sched = scheduler(fuzz_default() if fuzz is None else fuzz)
    card, _log = sched.review_card(_fsrs_card(state_json, now), Rating(rating), review_datetime=now)
    due = as_utc(card.due)
    return Scheduled(card.to_json(), due, STATES[int(card.state)], due - now)


def preview(state_json: str | None, now: datetime) -> dict[int, timedelta]:
    """The interval each rating would give now (without fuzz): shown next to the rating keys."""
    return {r: review(state_json, r, now, fuzz=False).interval for r in RATINGS}


def state_name(state_json: str | None) -> str:
    """'new' for a card never reviewed, else learning | review | relearning."""
    if state_json is None:
        return "new"
    return STATES[int(json.loads(state_json)["state"])]


def due_of(state_json: str) -> datetime:
    return as_utc(datetime.fromisoformat(json.loads(state_json)["due"]))


def as_utc(t: datetime) -> datetime:
    """An aware UTC datetime (naive values are taken to be UTC already)."""
    return t.replace(tzinfo=timezone.utc) if t.tzinfo is None else t.astimezone(timezone.utc)


def iso(t: datetime) -> str:
    """The store's time format: UTC, seconds, '+00:00' (sorts as text)."""
    return as_utc(t).isoformat(timespec="seconds")


def human_interval(d: timedelta) -> str:
    """Short interval text: '<1m', '10m', '3h', '4d', '2mo', '1.5y'.

    >>> human_interval(timedelta(minutes=10)), human_interval(timedelta(days=45))
    ('10m', '1.5mo')
    """
    s = d.total_seconds()
    if s < 60:
        return "<1m"
    if s < 3600:
        return f"{round(s / 60)}m"
    if s < 86400:
        return f"{round(s / 3600)}h"
    days = s / 86400
    if days < 30:
        return f"{round(days)}d"
    if days < 365:
        return f"{days / 30:.1f}".rstrip("0").rstrip(".") + "mo"
    return f"{days / 365:.1f}".rstrip("0").rstrip(".") + "y"
