"""Card statistics: what is due, how much was reviewed, retention, weak tags.

Retention here is the share of *review-state* reviews that were recalled: among the reviews
(undone ones left out) of cards that were in the FSRS "review" state before the rating, the
fraction rated Hard, Good or Easy (>= 2). Reviews of new, learning and relearning cards are
left out: they measure learning, not memory. Days are UTC days.
"""
from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime, timedelta

from grader.cards.deck import Card
from grader.cards.library import states
from grader.cards.schedule import as_utc

RETENTION_DEFINITION = ("share of reviews rated Hard, Good or Easy (>= 2) among reviews of cards that were "
                        "in the review state before the rating; undone reviews are left out")


def _ratio(passed: int, total: int) -> dict:
    return {"reviews": total, "passed": passed, "rate": round(passed / total, 4) if total else None}


def card_stats(store, cards: list[Card], now: datetime, weeks: int = 12) -> dict:
    """Everything `drill cards stats` shows; also its --json output (keys in docs/json.md)."""
    now = as_utc(now)
    by_id = {c.id: c for c in cards}
    known = {cid: s for cid, s in states(store).items() if cid in by_id}
    end_of_day = datetime(now.year, now.month, now.day, tzinfo=now.tzinfo) + timedelta(days=1)
    counts = {"total": len(cards), "new": len(cards) - len(known), "learning": 0, "review": 0, "relearning": 0}
    for s in known.values():
        counts[s.state] += 1

    logs = store.conn.execute(
        "SELECT card_id, rating, reviewed_at, state_before_json FROM review_logs WHERE undone=0").fetchall()
    first_day = (now - timedelta(days=weeks * 7 - 1)).date()
    per_day: dict[str, list[int]] = {(first_day + timedelta(days=k)).isoformat(): [0, 0] for k in range(weeks * 7)}
    month_ago = (now - timedelta(days=30)).isoformat(timespec="seconds")
    ret_all, ret_month = [0, 0], [0, 0]
    tag_rows: dict[str, dict] = defaultdict(lambda: {"reviews": 0, "again": 0, "retention": [0, 0]})
    for r in logs:
        day = r["reviewed_at"][:10]
        if day in per_day:
            per_day[day][0] += 1
            per_day[day][1] += r["rating"] == 1
        was_review = r["state_before_json"] is not None and json.loads(r["state_before_json"])["state"] == 2
        passed = int(r["rating"] >= 2)
        if was_review:
            ret_all[0] += passed
            ret_all[1] += 1
            if r["reviewed_at"] >= month_ago:
                ret_month[0] += passed
                ret_month[1] += 1
        card = by_id.get(r["card_id"])
        for tag in card.tags if card else ():
            row = tag_rows[tag]
            row["reviews"] += 1
            row["again"] += r["rating"] == 1
            if was_review:
                row["retention"][0] += passed
                row["retention"][1] += 1

    tags = []
    for tag, row in tag_rows.items():
        ret = _ratio(*row["retention"])
        tags.append({"tag": tag, "cards": sum(tag in c.tags for c in cards), "reviews": row["reviews"],
                     "again": row["again"], "retention": ret["rate"], "retention_reviews": ret["reviews"]})
    # weakest first: most Again ratings, then lowest retention (unknown retention last)
    tags.sort(key=lambda t: (-t["again"], t["retention"] if t["retention"] is not None else 2.0, t["tag"]))
    today = now.date().isoformat()
    return {
        "generated_at": now.isoformat(timespec="seconds"),
        "cards": counts,
        "due": {
            "now": sum(s.due <= now for s in known.values()),
            "today": sum(s.due < end_of_day for s in known.values()),
            "week": sum(s.due < now + timedelta(days=7) for s in known.values()),
        },
        "reviews": {
            "total": len(logs),
            "today": per_day.get(today, [0, 0])[0],
            "days": [{"date": d, "reviews": v[0], "again": v[1]} for d, v in per_day.items()],
        },
        "retention": {"definition": RETENTION_DEFINITION, "all_time": _ratio(*ret_all),
                      "last_30_days": _ratio(*ret_month)},
        "tags": tags,
    }
