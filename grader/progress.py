"""Progress views for `drill list` and `drill stats`: store + catalogue + workspace.

Standard library only (plus the store): these commands never import torch.
"""
from __future__ import annotations

import statistics
from datetime import datetime, timedelta, timezone

from grader.catalog import load_catalog
from grader.store import Store
from grader.workspace import Workspace, is_pristine


def drill_status(summary: dict, has_file: bool, pristine: bool) -> str:
    """passed | failing | in progress | not started."""
    if summary.get("passes"):
        return "passed"
    if summary.get("attempts"):
        return "failing" if summary.get("last_status") in ("fail", "error") else "in progress"
    if has_file and not pristine:
        return "in progress"
    return "not started"


def drill_rows(topic: str | None = None, store: Store | None = None) -> list[dict]:
    catalog = load_catalog()
    ws = Workspace()
    own = store is None
    store = store or Store()
    try:
        summaries = store.drill_summaries()
    finally:
        if own:
            store.close()
    rows = []
    topics = catalog.topics()  # in order of first appearance: the catalogue's teaching order
    grouped = sorted(catalog.drills, key=lambda d: (topics.index(d.topic), d.order))
    for i, d in enumerate(grouped, 1):
        if topic and d.topic != topic:
            continue
        path = ws.path_for(d)
        s = summaries.get(d.slug, {})
        has = path.exists()
        rows.append({
            "index": i, "slug": d.slug, "title": d.title, "topic": d.topic, "difficulty": d.difficulty,
            "minutes": d.minutes, "status": drill_status(s, has, has and is_pristine(d, path)),
            "attempts": s.get("attempts", 0), "passes": s.get("passes", 0),
            "best_seconds": s.get("best_seconds"), "hints_shown": s.get("hints_shown", 0),
            "file": str(path) if has else None,
        })
    return rows


RETENTION_TARGET = 0.8   # a topic's cards recalled less often than this are worth a review session


def card_summary(ratings: list[tuple[str, int]], due_times: list[str], tags_of: dict[str, tuple[str, ...]],
                 now: datetime | None = None) -> dict | None:
    """Card reviews for `drill stats`: count, retention, due today, retention per tag; None without reviews.

    Retention = the share of reviews (undone ones left out) rated 2 or more (Hard, Good,
    Easy). `drill cards stats` also reports a stricter one (reviews of mature cards only).
    """
    if not ratings:
        return None
    now = now or datetime.now(timezone.utc)
    end_of_day = datetime(now.year, now.month, now.day, tzinfo=timezone.utc) + timedelta(days=1)
    due_today = 0
    for due in due_times:
        try:
            when = datetime.fromisoformat(due)
        except ValueError:
            continue
        due_today += (when if when.tzinfo else when.replace(tzinfo=timezone.utc)) < end_of_day
    per_tag: dict[str, list[int]] = {}
    for card_id, rating in ratings:
        for tag in tags_of.get(card_id, ()):
            row = per_tag.setdefault(tag, [0, 0])
            row[0] += rating >= 2
            row[1] += 1
    recalled = sum(r >= 2 for _, r in ratings)
    return {"reviewed": len(ratings), "recalled": recalled, "retention": round(recalled / len(ratings), 4),
            "due_today": due_today, "by_tag": {t: round(ok / n, 4) for t, (ok, n) in sorted(per_tag.items())}}


def _card_tags() -> dict[str, tuple[str, ...]]:
    try:
        from grader.cards.deck import load_deck_dir
        from grader import paths

        return {c.id: tuple(t.lower() for t in c.tags) for c in load_deck_dir(paths.cards_dir())}
    except Exception:  # noqa: BLE001 - a broken deck must not break `drill stats`
        return {}


def next_step(topic: str, drills: list[dict], cards: dict | None, has_cards: bool) -> str:
    """What to do next for a weak topic: the first unsolved drill, else its cards, else a mock."""
    todo = next((d for d in drills if d["topic"] == topic and d["status"] != "passed"), None)
    if todo is not None:
        verb = "watch" if todo["status"] in ("failing", "in progress") else "show"
        return f"drill {verb} {todo['slug']}"
    retention = (cards or {}).get("by_tag", {}).get(topic.lower())
    if has_cards and (retention is None or retention < RETENTION_TARGET):
        return f"drill cards review --tag {topic}"
    return f"drill mock --topic {topic}"


def stats_data(store: Store | None = None) -> dict:
    """Everything `drill stats` shows, as JSON-ready data (docs/json.md)."""
    catalog = load_catalog()
    own = store is None
    store = store or Store()
    try:
        rows = drill_rows(store=store)
        times = {d.slug: store.solve_times(d.slug) for d in catalog.drills}
        mocks = store.mock_scores()
        ratings, dues = store.card_ratings(), store.card_due_times()
    finally:
        if own:
            store.close()
    tags_of = _card_tags()
    cards = card_summary(ratings, dues, tags_of)
    drills = []
    for row in rows:
        t = times[row["slug"]]
        drills.append({**{k: row[k] for k in ("slug", "topic", "status", "attempts", "passes", "hints_shown")},
                       "pass_rate": (row["passes"] / row["attempts"]) if row["attempts"] else None,
                       "best_seconds": min(t) if t else None,
                       "median_seconds": statistics.median(t) if t else None})
    topics = []
    for topic in catalog.topics():
        mine = [d for d in drills if d["topic"] == topic]
        attempts = sum(d["attempts"] for d in mine)
        passes = sum(d["passes"] for d in mine)
        solved = sum(1 for d in mine if d["status"] == "passed")
        topics.append({"topic": topic, "drills": len(mine), "solved": solved, "attempts": attempts,
                       "pass_rate": passes / attempts if attempts else None,
                       "hints_shown": sum(d["hints_shown"] for d in mine),
                       "card_retention": (cards or {}).get("by_tag", {}).get(topic.lower())})

    def weakness(t: dict) -> tuple:
        # unsolved share first, then low pass rate, then low card retention, then many hints
        retention = t["card_retention"] if t["card_retention"] is not None else 1.0
        return (-(t["drills"] - t["solved"]) / t["drills"], -(1 - (t["pass_rate"] or 0.0)), retention,
                -t["hints_shown"])

    tagged = {tag for tags in tags_of.values() for tag in tags}
    weakest = [dict(t) for t in sorted(topics, key=weakness)[:3]]
    for t in weakest:
        t["next"] = next_step(t["topic"], drills, cards, t["topic"].lower() in tagged)
    return {"schema_version": 1, "drills": drills, "topics": topics, "weakest": weakest,
            "solved": sum(1 for d in drills if d["status"] == "passed"), "total": len(drills),
            "mock_scores": mocks, "cards": cards}
