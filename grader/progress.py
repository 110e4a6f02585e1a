"""Progress views for `drill list` and `drill stats`: store + catalogue + workspace.

Standard library only (plus the store): these commands never import torch.
"""
from __future__ import annotations

import statistics

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
    for i, d in enumerate(catalog.drills, 1):
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


def stats_data(store: Store | None = None) -> dict:
    """Everything `drill stats` shows, as JSON-ready data (docs/json.md)."""
    catalog = load_catalog()
    own = store is None
    store = store or Store()
    try:
        rows = drill_rows(store=store)
        times = {d.slug: store.solve_times(d.slug) for d in catalog.drills}
        mocks = store.mock_scores() if hasattr(store, "mock_scores") else []
    finally:
        if own:
            store.close()
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
                       "hints_shown": sum(d["hints_shown"] for d in mine)})

    def weakness(t: dict) -> tuple:
        # unsolved share first, then low pass rate, then many hints
        return (-(t["drills"] - t["solved"]) / t["drills"], -(1 - (t["pass_rate"] or 0.0)), -t["hints_shown"])

    weakest = sorted(topics, key=weakness)[:3]
    for t in weakest:
        todo = next((d["slug"] for d in drills if d["topic"] == t["topic"] and d["status"] != "passed"), None)
        t["next"] = f"drill run {todo}" if todo else f"drill mock --topic {t['topic']}"
    return {"schema_version": 1, "drills": drills, "topics": topics, "weakest": weakest,
            "solved": sum(1 for d in drills if d["status"] == "passed"), "total": len(drills),
            "mock_scores": mocks}
