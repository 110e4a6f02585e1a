"""`drill stats`: mock scores over time, card retention, weakest topics; readable in 80 columns."""
import io
import json
from datetime import datetime, timezone

from rich.console import Console
from typer.testing import CliRunner

from grader.cli import app
from grader.progress import card_summary, next_step, stats_data
from grader.render import print_stats
from grader.store import Store

runner = CliRunner()


def test_card_summary_counts_ratings_of_two_or_more_as_recalled():
    now = datetime(2025, 3, 1, 12, tzinfo=timezone.utc)
    ratings = [("a", 1), ("a", 3), ("b", 2), ("b", 4)]
    s = card_summary(ratings, ["2025-03-01T20:00:00+00:00", "2025-03-02T01:00:00+00:00", "bad"],
                     {"a": ("attention",), "b": ("attention", "loss")}, now=now)
    assert s["reviewed"] == 4 and s["recalled"] == 3 and s["retention"] == 0.75
    assert s["due_today"] == 1
    assert s["by_tag"] == {"attention": 0.75, "loss": 1.0}
    assert card_summary([], [], {}) is None


def test_next_step_prefers_an_unsolved_drill_then_cards_then_a_mock():
    drills = [{"slug": "attention", "topic": "attention", "status": "failing"},
              {"slug": "masks", "topic": "attention", "status": "not started"},
              {"slug": "kl", "topic": "loss", "status": "passed"}]
    assert next_step("attention", drills, None, True) == "drill watch attention"
    assert next_step("loss", drills, {"by_tag": {"loss": 0.5}}, True) == "drill cards review --tag loss"
    assert next_step("loss", drills, {"by_tag": {"loss": 0.95}}, True) == "drill mock --topic loss"
    assert next_step("loss", drills, None, False) == "drill mock --topic loss"


def _fill(store: Store) -> None:
    for day, overall in ((1, 35), (2, 58), (3, 71), (4, 90)):
        sid = store.create_mock_session({}, 1, started_at=f"2025-01-0{day}T10:00:00+00:00")
        store.save_mock_session(sid, {"score": {"overall": overall}}, status="finished")
    sid = store.create_mock_session({}, 1, started_at="2025-01-05T10:00:00+00:00")
    store.save_mock_session(sid, {"score": {"overall": 100}}, status="abandoned")
    with store.tx() as c:
        for i, rating in enumerate((1, 3, 3, 4, 2, 1)):
            c.execute("INSERT INTO review_logs(card_id, rating, reviewed_at) VALUES (?, ?, ?)",
                      ("attention-why-sqrt-dk", rating, f"2025-01-0{i + 1}T09:00:00+00:00"))
    store.record_attempt("attention", {"status": "fail", "duration_s": 1.0}, mode="run")


def test_stats_data_has_mock_scores_card_retention_and_three_weak_topics(drill_home):
    with Store() as store:
        _fill(store)
        data = stats_data(store)
    assert [m["score"] for m in data["mock_scores"]] == [35.0, 58.0, 71.0, 90.0]   # finished only, oldest first
    assert data["cards"]["reviewed"] == 6 and data["cards"]["retention"] == round(4 / 6, 4)
    assert len(data["weakest"]) == min(3, len(data["topics"]))
    assert all(w["next"].startswith("drill ") for w in data["weakest"])
    json.dumps(data)


def test_stats_render_fits_80_columns(drill_home):
    with Store() as store:
        _fill(store)
        data = stats_data(store)
    buf = io.StringIO()
    print_stats(Console(file=buf, width=80, highlight=False, color_system=None), data)
    out = buf.getvalue()
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "score over time" in out and "█" in out and " 90" in out
    assert "retention 67%" in out
    assert "weakest topics" in out and "→ drill " in out


def test_stats_command_text_and_json(drill_home):
    with Store() as store:
        _fill(store)
    r = runner.invoke(app, ["stats", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["cards"]["reviewed"] == 6
    r = runner.invoke(app, ["stats"])
    assert r.exit_code == 0 and "mock interviews" in r.output
