"""Rendering for `drill mock` and `drill history`: the session screens, the scorecard, history.

Everything fits an 80-column terminal. The countdown is one status line at the bottom,
redrawn in place (carriage return + erase line) and erased before anything else is
printed, so it never mixes with the output above it. User and catalogue text goes
through Text / Markdown, never console markup.
"""
from __future__ import annotations

import math
from typing import Any

from rich.console import Console, Group
from rich.markdown import Markdown
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from grader.mock import SessionUI
from grader.render import MARK, STATUS_STYLE, _prompt_markdown, bar, follow_up_note, result_renderable, seconds

ENDED_BY = {"pass": "passed", "skip": "skipped", "time": "time up", "quit": "ended early", "done": "",
            "interrupt": "interrupted", None: ""}


def clock(s: float, up: bool = False) -> str:
    """m:ss, never negative; `up` rounds up (a countdown reads 0:00 only when time is up).

    >>> clock(75.4), clock(75.4, up=True), clock(-3)
    ('1:15', '1:16', '0:00')
    """
    n = max(math.ceil(s) if up else int(s), 0)
    return f"{n // 60}:{n % 60:02d}"


def status_text(data: dict, grading: str | None = None) -> Text:
    """The one-line status: time left, drill, pace, runs, keys."""
    left = data["remaining_s"]
    style = "bold red" if left <= 60 else "bold yellow" if left <= 300 else "bold green"
    t = Text()
    t.append(f" {clock(left, up=True)} left ", style=f"reverse {style}")
    if "slug" in data:
        t.append(f" {data['index']}/{data['count']} {data['slug']}", style="bold")
        over = data["used_s"] > data["pace_s"]
        t.append(f" · pace {clock(data['pace_s'])}, used ", style="dim")
        t.append(clock(data["used_s"]), style="yellow" if over else "dim")
        if grading:
            t.append(f" · {grading}", style="cyan")
        else:
            last = data.get("last_status")
            t.append(f" · runs {data['runs']}", style="dim")
            if last:
                t.append(" " + MARK.get(last, "?"), style=STATUS_STYLE.get(last, ""))
    t.append(" · s skip · q end", style="dim")
    return t


class StatusLine:
    """A status line redrawn in place at the bottom of a terminal (nothing when not a terminal)."""

    def __init__(self, console: Console):
        self.console = console
        self.enabled = console.is_terminal
        self.shown: str | None = None

    def draw(self, text: Text) -> None:
        if not self.enabled:
            return
        text = text.copy()
        text.truncate(max(self.console.width - 1, 10), overflow="ellipsis")
        if text.plain == self.shown:
            return
        self.console.file.write("\r\x1b[2K")
        self.console.print(text, end="", no_wrap=True, overflow="ellipsis", crop=True)
        self.console.file.flush()
        self.shown = text.plain

    def erase(self) -> None:
        if self.enabled and self.shown is not None:
            self.console.file.write("\r\x1b[2K")
            self.console.file.flush()
            self.shown = None


def intro_view(drills: list[dict], budget_s: float, seed: int, paces: list[float]) -> Group:
    t = Table(box=None, show_header=True, padding=(0, 1), expand=False)
    for col in ("#", "drill", "topic", "level", "pace"):
        t.add_column(col, style="dim" if col == "#" else "")
    for i, (d, p) in enumerate(zip(drills, paces), 1):
        t.add_row(str(i), d["slug"], d["topic"], d["difficulty"], clock(p))
    return Group(
        Text(f"mock interview: {len(drills)} drill{'s' if len(drills) != 1 else ''}, {clock(budget_s)} "
             f"on one shared clock · seed {seed}", style="bold"),
        t,
        Text("Pace is a suggestion. Saving re-grades; a confirmed pass moves on.\n"
             "No hints, no solutions. Keys: s skip · q end coding · Ctrl-C abandon.", style="dim"),
    )


def drill_view(index: int, count: int, drill, path: str, pace_s: float) -> Group:
    head = Text()
    head.append(f"drill {index}/{count}: ", style="bold")
    head.append(drill.title, style="bold")
    head.append(f"  {drill.topic} · {drill.difficulty} · pace {clock(pace_s)}", style="dim")
    return Group(head, Markdown(_prompt_markdown(drill.prompt())),
                 Text("edit: ", style="bold") + Text(path),
                 Text("save to grade · s skip · q end the coding part · Ctrl-C abandon", style="dim"))


def mock_result(result: dict) -> dict:
    """A result as shown during a mock: no next step (it names hints) and no likely bug."""
    return {**result, "next_step": None, "diagnosis": []}


def question_view(index: int, total: int, q) -> Group:
    from grader.render_cards import card_markdown

    label = "follow-up" if q.kind == "followup" else "concept card"
    head = Text(f"{label} {index + 1}/{total} · {q.topic}", style="bold")
    body = card_markdown(q.front) if q.kind == "card" else Text(q.front)
    return Group(head, Panel(body, border_style="blue", title=Text(q.ref), title_align="left"),
                 Text("enter: show the answer · q: stop the questions", style="dim"))


def answer_view(q) -> Group:
    from grader.render_cards import card_markdown

    body = card_markdown(q.back) if q.kind == "card" else Text(q.back)
    keys = Text()
    keys.append("did you know it?  ")
    for k, what in (("y/2", "yes"), ("1", "partly"), ("n/0", "no"), ("q", "stop")):
        keys.append(k, style="bold")
        keys.append(f" {what}  ")
    return Group(Panel(body, border_style="green", title=Text("answer"), title_align="left"), keys)


class TerminalUI(SessionUI):
    """Draws a MockSession in a terminal: screens per drill, results, the countdown line."""

    def __init__(self, console: Console, clear: bool = True):
        self.console = console
        self.clear = clear
        self.status = StatusLine(console)
        self.grading_label: str | None = None

    def _print(self, *things: Any, clear: bool = False) -> None:
        self.status.erase()
        if clear and self.clear:
            self.console.clear()
        for thing in things:
            self.console.print(thing)

    def redraw(self, session) -> None:
        if session.phase == "coding":
            self.status.draw(status_text(session.status_data(), self.grading_label))

    def drill_started(self, session, run) -> None:
        i = session.runs.index(run) + 1
        self._print(drill_view(i, len(session.runs), run.drill, str(run.path), run.pace_s), clear=True)
        self.redraw(session)

    def grading(self, session, run, quick: bool) -> None:
        self.grading_label = "grading (quick check)..." if quick else "grading..."
        self.redraw(session)

    def done_grading(self, session, run) -> None:
        self.grading_label = None

    def graded(self, session, run, result: dict, confirming: bool) -> None:
        i = session.runs.index(run) + 1
        head = Text(f"drill {i}/{len(session.runs)}: {run.drill.slug} · edit {run.path}", style="dim")
        things: list[Any] = [head, result_renderable(mock_result(result))]
        if confirming:
            things.append(Text(follow_up_note(result), style="yellow"))
        self._print(*things, clear=True)
        self.redraw(session)

    def warning(self, session, seconds_left: int) -> None:
        n = seconds_left // 60
        self._print(Text(f"! {n} minute{'s' if n != 1 else ''} left", style="bold yellow" if n > 1 else "bold red"))
        self.redraw(session)

    def submitting(self, session, run) -> None:
        self._print(Text(f"submitting {run.drill.slug} as it stands...", style="dim"))

    def coding_over(self, session, reason: str) -> None:
        say = {"time": "Time is up: everything is submitted as it stands.",
               "quit": "Coding part ended: everything is submitted as it stands.",
               "done": "All drills done."}.get(reason, reason)
        self._print(Text(say, style="bold"))

    def question(self, session, index: int, q) -> None:
        self._print(question_view(index, len(session.questions), q), clear=True)

    def revealed(self, session, index: int, q) -> None:
        self._print(answer_view(q))

    def tick(self, session) -> None:
        self.redraw(session)


# -- scorecard and history ------------------------------------------------------------------
def _verdict(d: dict) -> Text:
    if not d.get("reached", True) and d["status"] in ("not_started", "pending"):
        return Text("not reached", style="dim")
    status = d["status"]
    t = Text(status.replace("_", " "), style=STATUS_STYLE.get(status, ""))
    how = ENDED_BY.get(d.get("ended_by"), d.get("ended_by") or "")
    if how and how != "passed":
        t.append(f" ({how})", style="dim")
    return t


def scorecard_view(card: dict) -> Group:
    parts: list[Any] = []
    head = Text()
    head.append(f"mock interview #{card['id']}", style="bold")
    status = card["status"]
    head.append(f"  {status}", style={"finished": "green", "abandoned": "yellow"}.get(status, "cyan"))
    when = (card.get("started_at") or "")[:16].replace("T", " ")
    head.append(f"  {when} UTC · {seconds(card.get('elapsed_s'))} of {seconds(card.get('budget_s'))}"
                f" · seed {card.get('seed')}", style="dim")
    parts.append(head)
    if card.get("abandon_reason"):
        parts.append(Text(f"abandoned: {card['abandon_reason']}", style="yellow"))
    t = Table(box=None, padding=(0, 1), expand=False, show_header=True)
    t.add_column("drill", style="bold")
    t.add_column("result")
    t.add_column("time", justify="right")
    t.add_column("pace", justify="right", style="dim")
    t.add_column("runs", justify="right")
    t.add_column("failed properties", overflow="fold")
    for d in card["drills"]:
        t.add_row(d["slug"], _verdict(d), seconds(d["time_used_s"]) if d.get("reached", True) else "—",
                  seconds(d["pace_s"]), str(d["runs"]), Text(", ".join(d["failed_properties"]) or "—"))
    parts.append(t)
    for d in card["drills"]:
        for title in d.get("diagnosis", []):
            parts.append(Text(f"  {d['slug']}: likely bug: ", style="yellow") + Text(title))
    for kind, label in (("followup", "follow-ups"), ("card", "concept cards")):
        qs = [q for q in card.get("questions", []) if q["kind"] == kind]
        if not qs:
            continue
        p = card["followups" if kind == "followup" else "cards"]
        parts.append(Text(f"{label}: {p['points']}/{p['max']} points", style="bold"))
        for q in qs:
            mark = {2: ("✓", "green"), 1: ("~", "yellow"), 0: ("✗", "red")}.get(q["score"], ("·", "dim"))
            line = Text(f"  {mark[0]} ", style=mark[1])
            first = q["question"].strip().splitlines()[0] if q["question"].strip() else q["ref"]
            line.append(f"[{q['ref']}] ", style="dim")
            line.append(first)
            line.truncate(78, overflow="ellipsis")
            parts.append(line)
    s = card["score"]
    total = Text()
    total.append(f"score {s['overall']}/100", style="bold reverse")
    total.append(" ")
    total.append_text(bar(s["overall"] / 100, width=20))
    parts.append(total)
    parts.append(Text(s["rationale"], style="dim"))
    if status == "abandoned":
        parts.append(Text("(an abandoned session is not counted in `drill stats`)", style="dim"))
    return Group(*parts)


def history_view(sessions: list[dict], attempts: list[dict]) -> Group:
    parts: list[Any] = []
    if sessions:
        t = Table(title="mock interviews", title_justify="left", box=None, padding=(0, 1), expand=False)
        for col in ("id", "started (UTC)", "status", "drills", "score"):
            t.add_column(col, justify="right" if col in ("id", "score") else "left")
        for s in sessions:
            card = s.get("scorecard") or {}
            drills = card.get("drills") or [{"slug": x, "status": "pending"} for x in s["config"].get("drills", [])]
            shown = Text()
            for i, d in enumerate(drills):
                if i:
                    shown.append(" ")
                shown.append(d["slug"] + MARK.get(d["status"], ""), style=STATUS_STYLE.get(d["status"], ""))
            sc = card.get("score", {}).get("overall")
            t.add_row(str(s["id"]), s["started_at"][:16].replace("T", " "),
                      Text(s["status"], style={"finished": "green", "abandoned": "yellow"}.get(s["status"], "cyan")),
                      shown, "—" if sc is None or s["status"] != "finished" else str(sc))
        parts.append(t)
        parts.append(Text("`drill history show ID` reprints a scorecard", style="dim"))
    else:
        parts.append(Text("no mock interviews yet: `drill mock` starts one", style="dim"))
    if attempts:
        a = Table(title="grading runs", title_justify="left", box=None, padding=(0, 1), expand=False)
        for col in ("id", "at (UTC)", "drill", "mode", "result", "took"):
            a.add_column(col, justify="right" if col in ("id", "took") else "left")
        for r in attempts:
            a.add_row(str(r["id"]), r["at"][:16].replace("T", " "), r["slug"], r["mode"],
                      Text(r["status"].replace("_", " "), style=STATUS_STYLE.get(r["status"], "")),
                      f"{r['duration_s']:.1f}s")
        parts.append(a)
    return Group(*parts)
