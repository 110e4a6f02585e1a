"""Watch mode: re-grade on every save, keep running through anything the user's code does.

The watching process is the warm grader: torch, hypothesis, the spec and the reference
are loaded once, and the zygote (grader.sandbox) forks a fresh child for every save, so
each grade imports the changed file afresh and a crash only ever kills that child.

A save first gets a quick verdict: a few examples per property (most bugs show in the
first one), stopping at the first failure, shown as found, with no shrinking and no
diagnosis, so it is on screen a few hundred milliseconds after the save. A default run
follows: it confirms a quick pass with more examples, or refines a quick failure (the
shrunk counterexample, every failing property, the likely bug). The folder is
watched, not the file, so editors that save by writing a temp file and renaming it
are seen too. Keys and file events come from injectable sources, so tests need no tty.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from grader.catalog import Drill

DEBOUNCE_MS = 150


@dataclass
class WatchEvent:
    kind: str              # "save" | "key" | "tick"
    key: str = ""


def file_events(path: Path, stop: threading.Event, debounce_ms: int = DEBOUNCE_MS) -> Iterator[WatchEvent]:
    """A 'save' event whenever `path` is written or replaced (watching its folder)."""
    from watchfiles import watch

    target = path.resolve()

    def only_target(_change, changed: str) -> bool:
        return Path(changed).resolve() == target

    for changes in watch(target.parent, watch_filter=only_target, debounce=debounce_ms, step=50,
                         stop_event=stop, rust_timeout=200, yield_on_timeout=True, raise_interrupt=False):
        yield WatchEvent("save") if changes else WatchEvent("tick")


def merged_events(path: Path, keys: Callable[[float], str | None], stop: threading.Event,
                  debounce_ms: int = DEBOUNCE_MS) -> Iterator[WatchEvent]:
    """File saves and key presses, in one stream (file watching runs in a thread)."""
    import queue

    q: queue.Queue[WatchEvent] = queue.Queue()

    def pump():
        try:
            for ev in file_events(path, stop, debounce_ms):
                if ev.kind == "save":
                    q.put(ev)
        except Exception as e:  # pragma: no cover - a broken watcher must not kill the session
            q.put(WatchEvent("key", key=f"!watch-error:{e}"))

    threading.Thread(target=pump, daemon=True).start()
    while not stop.is_set():
        key = keys(0.05)
        if key:
            yield WatchEvent("key", key=key)
        try:
            while True:
                yield q.get_nowait()
        except queue.Empty:
            pass
        yield WatchEvent("tick")


@dataclass
class WatchState:
    drill: Drill
    path: Path
    runs: int = 0
    last: dict | None = None
    confirming: bool = False
    history: list[str] = field(default_factory=list)


def grade_once(drill: Drill, path: Path, quick: bool, seed: int | None = None,
               cancel: Callable[[], bool] | None = None) -> dict:
    """Grade in this (warm) process: a quick first verdict, or the default run.

    `cancel` is passed to the grader (grader.runner.Cancelled is raised once it says stop).
    """
    from grader.runner import grade

    if quick:
        return grade(drill, path, profile="quick", seed=seed, fail_fast=True, diagnose=False,
                     cancel=cancel).to_dict()
    return grade(drill, path, profile="default", seed=seed, cancel=cancel).to_dict()


def follow_up(result: dict) -> str | None:
    """What the default run after a quick verdict is for: 'confirm' a pass, 'refine' a failure.

    An error (a crash, a time-out, a syntax error) or a not-started file is final at once:
    running it again would show the same thing, later.
    """
    return {"pass": "confirm", "fail": "refine"}.get(result.get("status", ""))


def warm_up(drill: Drill) -> None:
    """Load everything a grade needs before the first save: the zygote, torch, the spec."""
    from grader.runner import load_drill, prepare
    from grader.sandbox import get_zygote

    get_zygote()
    prepare()
    load_drill(drill)
    get_zygote().wait_ready()


def regrade(state: WatchState, on_result: Callable[[WatchState, dict], None],
            superseded: Callable[[], bool] | None = None) -> dict | None:
    """A quick verdict, then (for a pass or a failure) the default run; both are reported.

    `superseded()` says whether the file has changed since this grade began: the follow-up
    run then stops at once (None is returned) so that the newer save is graded without
    waiting for an answer about a file that no longer exists.
    """
    from grader.runner import Cancelled

    state.runs += 1
    result = grade_once(state.drill, state.path, quick=True)
    state.last = result
    if follow_up(result):
        state.confirming = True
        on_result(state, result)
        try:
            result = grade_once(state.drill, state.path, quick=False, cancel=superseded)
        except Cancelled:
            state.confirming = False
            return None
        state.last = result
    state.confirming = False
    state.history.append(result["status"])
    on_result(state, result)
    return result

