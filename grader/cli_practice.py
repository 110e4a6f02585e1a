"""`drill mock` and `drill history`: the timed mock interview and its record.

Registered on grader.cli's app by the import at the end of grader/cli.py. Thin: parse the
options, call the engine (grader.mock), render (grader.render_practice), set the exit code.

Test hooks (docs/testing.md): DRILL_CLOCK_SCALE=K makes the session clock run K times
faster than the wall clock; the hidden option `--only SLUG,SLUG` names the drills.
"""
from __future__ import annotations

import os
import signal
import threading
from typing import Callable, Optional

import typer

from grader.cli import _console, _emit_json, _store, app, command  # noqa: F401  (app: the commands' home)
from grader.errors import DrillError

EXIT_CODES = {"SIGINT": 130, "SIGHUP": 129, "SIGTERM": 143}
REASONS = {"SIGINT": "interrupted (Ctrl-C)", "SIGHUP": "the terminal was closed (SIGHUP)",
           "SIGTERM": "the process was terminated (SIGTERM)"}


class SessionSignal(BaseException):
    """SIGHUP or SIGTERM during a session (a BaseException, so nothing on the way swallows it)."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.name = signal.Signals(signum).name


def clock_scale() -> float:
    """DRILL_CLOCK_SCALE (a test hook): how many session seconds pass per real second."""
    try:
        value = float(os.environ.get("DRILL_CLOCK_SCALE", "") or 1.0)
    except ValueError:
        return 1.0
    return value if value > 0 else 1.0


def threaded_grader(grade: Callable, while_waiting: Callable[[], None]) -> Callable:
    """Grade in a worker thread so the countdown keeps moving; Ctrl-C still reaches the main thread."""
    def run(drill, path, quick):
        box: dict = {}

        def work():
            try:
                box["result"] = grade(drill, path, quick)
            except BaseException as e:  # noqa: BLE001 - handed to the main thread
                box["error"] = e

        worker = threading.Thread(target=work, name="drill-grade", daemon=True)
        worker.start()
        while worker.is_alive():
            worker.join(0.2)
            while_waiting()
        if "error" in box:
            raise box["error"]
        return box["result"]
    return run


def _grade_once(drill, path, quick):
    from grader.watch import grade_once

    return grade_once(drill, path, quick=quick)


def _events(path, read_key):
    from grader.watch import merged_events

    stop = threading.Event()
    try:
        yield from merged_events(path, read_key, stop)
    finally:
        stop.set()


def _describe(e: BaseException) -> tuple[str, int]:
    if isinstance(e, KeyboardInterrupt):
        return REASONS["SIGINT"], EXIT_CODES["SIGINT"]
    if isinstance(e, SessionSignal):
        return REASONS.get(e.name, e.name), EXIT_CODES.get(e.name, 1)
    return f"error: {type(e).__name__}: {e}", 2


def run_session(session, key_source=None, events=None) -> tuple[int, BaseException | None]:
    """Start a MockSession and drive it to its end; (exit code, the exception that ended it or None).

    Ctrl-C (KeyboardInterrupt), SIGHUP and SIGTERM, or any error, store the session as
    abandoned with what was done before anything else happens. `key_source` (a context
    manager like grader.keys.key_reader) and `events(run, read_key)` are injectable for tests.
    """
    from grader.keys import key_reader

    events = events or (lambda run, read_key: _events(run.path, read_key))

    def on_signal(signum, _frame):
        raise SessionSignal(signum)

    saved = {}
    for sig in (signal.SIGHUP, signal.SIGTERM):
        try:
            saved[sig] = signal.signal(sig, on_signal)
        except (ValueError, OSError):  # pragma: no cover - not the main thread
            pass
    code, ended_by = 0, None
    try:
        with (key_source or key_reader)() as read_key:
            try:
                session.start()
                session.run_coding(lambda run: events(run, read_key))
                session.run_questions(read_key)
                session.finish()
            except BaseException as e:  # noqa: BLE001 - stored first, judged after
                reason, code = _describe(e)
                session.abandon(reason)
                ended_by = e
    except Exception:  # noqa: BLE001 - restoring a closed terminal fails; the session is stored
        if ended_by is None:
            raise
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
    return code, ended_by


@command()
def mock(minutes: Optional[float] = typer.Option(None, "--minutes", "-m", min=0.05,
                                                 help="Time for the whole session (default: the drills' "
                                                      "catalogue minutes added up)."),
         drills: int = typer.Option(2, "--drills", "-n", min=1, max=20, help="How many drills."),
         topic: Optional[str] = typer.Option(None, "--topic", "-t", help="Only drills of this topic."),
         seed: Optional[int] = typer.Option(None, "--seed", help="Reproducible choice of drills and questions."),
         lang: str = typer.Option("both", "--lang", "-l", envvar="DRILL_CARDS_LANG",
                                  help="Language of the concept cards: en, zh or both."),
         as_json: bool = typer.Option(False, "--json", help="Print the scorecard as JSON on stdout at the end "
                                                            "(the session itself is drawn on stderr)."),
         only: Optional[str] = typer.Option(None, "--only", hidden=True,
                                            help="Test hook: exactly these drills, in this order (SLUG,SLUG).")):
    """A timed mock interview: drills against one clock, follow-up questions, concept cards, a scorecard.

    While coding: save to re-grade; s skips to the next drill; q ends the coding part;
    Ctrl-C abandons the session (it is kept, marked abandoned). Rules: docs/mock.md.
    """
    import random

    from rich.text import Text

    from grader.cards.library import builtin_cards, check_lang
    from grader.catalog import load_catalog
    from grader.mock import MockSession, abandon_stale, pace_plan, scaled_clock, select_drills
    from grader.render_practice import TerminalUI, intro_view, scorecard_view
    from grader.watch import warm_up
    from grader.workspace import Workspace

    check_lang(lang)
    con = _console(stderr=as_json)
    ws = Workspace()
    ws.ensure()
    with _store() as store:
        abandon_stale(store)
        seed = seed if seed is not None else random.SystemRandom().randrange(1, 1_000_000)
        slugs = [s.strip() for s in only.split(",") if s.strip()] if only else None
        chosen = select_drills(load_catalog().drills, store.drill_summaries(), drills, seed, topic=topic, only=slugs)
        budget = minutes * 60 if minutes else sum(d.minutes for d in chosen) * 60
        try:
            cards = builtin_cards()
        except DrillError as e:
            con.print(Text(f"no concept cards this time: {e}", style="yellow"))
            cards = []
        con.print(intro_view([{"slug": d.slug, "topic": d.topic, "difficulty": d.difficulty} for d in chosen],
                             budget, seed, pace_plan([d.minutes for d in chosen], budget)))
        con.print(Text("loading the grader (the clock starts after)...", style="dim"))
        for d in chosen:
            warm_up(d)
        scale = clock_scale()
        ui = TerminalUI(con, clear=con.is_terminal)
        session = MockSession(store, chosen, budget_s=budget, seed=seed, workspace_root=ws.root, lang=lang,
                              topic=topic, cards=cards, clock=scaled_clock(scale), clock_scale=scale, ui=ui)
        session.grader = threaded_grader(_grade_once, lambda: ui.redraw(session))
        code, ended_by = run_session(session)
        card = session.scorecard()
    try:
        ui.status.erase()
        if con.is_terminal and ended_by is None:
            con.clear()
        con.print(scorecard_view(card))
        con.print(Text(f"kept in your progress store: `drill history show {card['id']}`", style="dim"))
        if as_json:
            _emit_json(card)
    except OSError:  # the terminal is gone (SIGHUP): the session is stored, nothing to show it on
        pass
    if ended_by is not None and not isinstance(ended_by, (KeyboardInterrupt, SessionSignal)):
        raise ended_by
    raise typer.Exit(code)


def session_summary(s: dict) -> dict:
    """One line of `drill history --json`."""
    card = s.get("scorecard") or {}
    drills = card.get("drills") or [{"slug": x, "status": "pending", "ended_by": None}
                                   for x in (s.get("config") or {}).get("drills", [])]
    return {"id": s["id"], "started_at": s["started_at"], "ended_at": s["ended_at"], "status": s["status"],
            "seed": s["seed"], "minutes": (s.get("config") or {}).get("minutes"),
            "drills": [{"slug": d["slug"], "status": d["status"], "ended_by": d.get("ended_by")} for d in drills],
            "score": (card.get("score") or {}).get("overall")}


@command()
def history(action: Optional[str] = typer.Argument(None, metavar="[show]",
                                                   help="`show` reprints one session's scorecard."),
            session_id: Optional[int] = typer.Argument(None, metavar="[ID]", help="The session to show."),
            as_json: bool = typer.Option(False, "--json", help="Machine-readable output (docs/json.md)."),
            limit: int = typer.Option(20, "--limit", min=1, help="How many sessions and grading runs.")):
    """Mock interviews and grading runs, newest first; `drill history show ID` reprints a scorecard."""
    from grader.mock import abandon_stale

    if action is not None and action.isdigit() and session_id is None:
        action, session_id = "show", int(action)
    if action not in (None, "show"):
        raise DrillError(f"unknown history action {action!r}", hint="drill history [show ID] [--json]")
    with _store() as store:
        abandon_stale(store)
        if action is None:
            sessions = store.mock_sessions(limit=limit)
            attempts = store.attempts(limit=limit)
            if as_json:
                _emit_json({"schema_version": 1, "sessions": [session_summary(s) for s in sessions],
                            "attempts": attempts})
                return
            from grader.render_practice import history_view

            _console().print(history_view(sessions, attempts))
            return
        if session_id is None:
            raise DrillError("which session?", hint="`drill history` lists them; then `drill history show ID`")
        s = store.mock_session(session_id)
    if s is None:
        raise DrillError(f"no mock interview #{session_id}", hint="`drill history` lists them")
    card = s["scorecard"]
    if card is None:
        raise DrillError(f"mock interview #{session_id} has no scorecard (it never started)")
    card = {**card, "status": s["status"], "ended_at": s["ended_at"] or card.get("ended_at")}
    if as_json:
        _emit_json(card)
        return
    from grader.render_practice import scorecard_view

    _console().print(scorecard_view(card))
