"""The `drill` command: parse, call the engine, render, set the exit code.

Exit codes: 0 pass / success, 1 fail, 2 error (bad input, grader or tool problem),
3 not started. Heavy modules (torch, hypothesis, fsrs) are imported only by the
commands that grade or schedule, so `drill --help` and `drill list` start instantly.
"""
from __future__ import annotations

import functools
import json
import os
import sys
from pathlib import Path
from typing import Optional

import typer

from grader import fastargs

fastargs.install()

app = typer.Typer(
    name="drill",
    help="Drills and a property-based auto-grader for LLM coding interviews.\n\n"
         "Start with `drill list`, then `drill show attention` and `drill run attention`.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)

EXIT = {"pass": 0, "fail": 1, "error": 2, "not_started": 3}


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def _emit_json(data) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def _fail(message: str, hint: str | None = None, code: int = 2):
    from rich.text import Text

    err = _console(stderr=True)
    err.print(Text("error: ", style="bold red") + Text(message))
    if hint:
        err.print(Text("hint: ", style="bold") + Text(hint))
    raise typer.Exit(code)


def command(*args, **kwargs):
    """app.command, plus: a DrillError from the engine becomes a message and an exit code."""
    def deco(fn):
        @functools.wraps(fn)
        def wrapper(*a, **k):
            import sqlite3

            from grader.errors import DrillError

            try:
                return fn(*a, **k)
            except DrillError as e:
                _fail(str(e), e.hint, e.exit_code)
            except sqlite3.DatabaseError as e:
                _fail(f"the progress store cannot be used ({e})",
                      "run `drill doctor` to check it; nothing has been deleted")
        return app.command(*args, **kwargs)(wrapper)
    return deco


def _drill(slug: str):
    from grader.catalog import load_catalog

    return load_catalog().get(slug)


def _store():
    from grader.store import Store

    return Store()


# ---------------------------------------------------------------------------------------
@command("list")
def list_(topic: Optional[str] = typer.Option(None, help="Only drills of this topic."),
          as_json: bool = typer.Option(False, "--json", help="Machine-readable output (docs/json.md).")):
    """The catalogue: status, topic, difficulty, minutes, best time to pass."""
    from grader.progress import drill_rows

    rows = drill_rows(topic=topic)
    if as_json:
        _emit_json({"schema_version": 1, "drills": rows})
        return
    from grader.render import catalog_lines

    con = _console()
    con.print(catalog_lines(rows, con.width), soft_wrap=True)


@command()
def show(slug: str = typer.Argument(..., help="Drill name, e.g. attention."),
         as_json: bool = typer.Option(False, "--json")):
    """The drill's prompt, and the file to edit."""
    from grader.workspace import Workspace

    drill = _drill(slug)
    ws = Workspace()
    path, created = ws.ensure_copy(drill)
    if created:
        with _store() as s:
            s.start_try(drill.slug)
    if as_json:
        _emit_json({"schema_version": 1, "slug": drill.slug, "title": drill.title, "topic": drill.topic,
                    "difficulty": drill.difficulty, "minutes": drill.minutes, "prompt": drill.prompt(),
                    "file": str(path), "entry_points": list(drill.entry_points), "forbidden": list(drill.forbidden)})
        return
    from grader.render import prompt_panel

    meta = f"{drill.topic} · {drill.difficulty} · ~{drill.minutes} min"
    _console().print(prompt_panel(drill.slug, drill.title, drill.prompt(), str(path), meta))


@command()
def run(slug: str = typer.Argument(..., help="Drill name, e.g. attention."),
        file: Optional[Path] = typer.Option(None, "--file", "-f", help="Grade this file instead of your workspace copy."),
        as_json: bool = typer.Option(False, "--json", help="Print the result as JSON (docs/json.md)."),
        seed: Optional[int] = typer.Option(None, help="Deterministic run with this seed."),
        thorough: bool = typer.Option(False, help="Many more examples per property (slower, more confidence)."),
        device: Optional[list[str]] = typer.Option(None, help="Only these devices (cpu, cuda)."),
        verbose: bool = typer.Option(False, "--verbose", "-v", help="Show every failing property.")):
    """Grade your implementation: a verdict per property and device, a shrunk counterexample, the likely bug."""
    from grader.workspace import Workspace, file_sha

    drill = _drill(slug)
    own_copy = file is None
    if own_copy:
        path, created = Workspace().ensure_copy(drill)
        if created:
            with _store() as s:
                s.start_try(drill.slug)
    else:
        path = file.expanduser().resolve()
        if not path.is_file():
            _fail(f"no such file: {file}")
    from grader.runner import grade

    result = grade(drill, path, profile="thorough" if thorough else "default", seed=seed,
                   devices=tuple(device) if device else None)
    data = result.to_dict()
    if own_copy:
        with _store() as s:
            s.ensure_try(drill.slug)
            s.record_attempt(drill.slug, data, mode="run", file_sha=file_sha(path))
    if as_json:
        _emit_json(data)
    else:
        from grader.render import print_result

        print_result(_console(), data, verbose=verbose)
    raise typer.Exit(EXIT.get(result.status, 2))


@command()
def hint(slug: str, as_json: bool = typer.Option(False, "--json")):
    """The next rung of the drill's hint ladder (each call shows one more)."""
    drill = _drill(slug)
    if not drill.hints:
        _fail(f"{slug} has no hints")
    with _store() as s:
        n = s.next_hint(drill.slug, len(drill.hints))
    shown = list(drill.hints[:n])
    if as_json:
        _emit_json({"schema_version": 1, "slug": slug, "shown": n, "total": len(drill.hints), "hints": shown})
        return
    from rich.text import Text

    con = _console()
    for i, h in enumerate(shown, 1):
        style = "bold" if i == n else "dim"
        con.print(Text(f"hint {i}/{len(drill.hints)}: ", style=style) + Text(h, style="" if i == n else "dim"))
    if n == len(drill.hints):
        con.print(Text(f"that was the last hint; `drill solution {slug}` shows the reference", style="dim"))


@command()
def solution(slug: str, yes: bool = typer.Option(False, "--yes", "-y", help="Show it even before you have passed.")):
    """The reference solution: after a pass, or with an explicit confirmation."""
    drill = _drill(slug)
    with _store() as s:
        passed = s.has_passed(drill.slug)
        if not passed and not yes:
            if not sys.stdin.isatty():
                _fail(f"you have not passed {slug} yet", hint=f"`drill solution {slug} --yes` shows it anyway", code=1)
            if not typer.confirm(f"You have not passed {slug} yet. Show the reference solution anyway?", default=False):
                raise typer.Exit(1)
        s.mark_solution_seen(drill.slug)
    from rich.syntax import Syntax

    _console().print(Syntax(drill.solution_path.read_text(encoding="utf-8"), "python", line_numbers=False))


@command()
def reset(slug: str, yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation.")):
    """Put the pristine stub back; your current file is kept in .backups/ first."""
    from grader.workspace import Workspace, is_pristine

    drill = _drill(slug)
    ws = Workspace()
    target = ws.path_for(drill)
    if target.exists() and not is_pristine(drill, target) and not yes:
        if not sys.stdin.isatty():
            _fail(f"{target} has your changes", hint=f"`drill reset {slug} --yes` resets it (a backup is kept)", code=1)
        if not typer.confirm(f"Reset {target}? Your version is kept in {ws.root / '.backups'}.", default=False):
            raise typer.Exit(1)
    backup = ws.reset(drill)
    with _store() as s:
        s.start_try(drill.slug)
    from rich.text import Text

    con = _console()
    con.print(Text(f"{target} is the pristine stub again."))
    if backup:
        con.print(Text(f"your previous version: {backup}", style="dim"))


@command()
def init(path: Path = typer.Argument(Path("."), help="Folder to make a drill workspace.")):
    """Make a folder a drill workspace (drill commands run inside it use it)."""
    from grader.workspace import Workspace

    ws = Workspace(path.expanduser().resolve())
    ws.ensure()
    _console().print(f"workspace: {ws.root}")


@command()
def stats(as_json: bool = typer.Option(False, "--json")):
    """Progress: per topic and per drill pass rate, attempts, times, hints."""
    from grader.progress import stats_data

    data = stats_data()
    if as_json:
        _emit_json(data)
        return
    from grader.render import print_stats

    print_stats(_console(), data)


@command()
def bench(slug: str = typer.Argument(..., help="Drill name, e.g. attention."),
          file: Optional[Path] = typer.Option(None, "--file", "-f", help="Benchmark this file instead of your copy."),
          device: Optional[list[str]] = typer.Option(None, help="Only these devices (cpu, cuda)."),
          dtype: str = typer.Option("float32", help="float32, float16 or bfloat16."),
          repeats: int = typer.Option(20, min=3, help="Timed calls per case."),
          as_json: bool = typer.Option(False, "--json")):
    """Time your implementation against the reference and torch's built-in (correctness first)."""
    from grader.bench import as_json as bench_json
    from grader.bench import bench as run_bench
    from grader.workspace import Workspace

    drill = _drill(slug)
    path = file.expanduser().resolve() if file else Workspace().path_for(drill)
    if not path.is_file():
        _fail(f"no such file: {path}", hint=f"`drill show {slug}` creates your copy")
    results = run_bench(drill, path, devices=tuple(device) if device else None, dtype=dtype, repeats=repeats)
    data = bench_json(results)
    if as_json:
        _emit_json(data)
    else:
        from grader.render import bench_table

        _console().print(bench_table(drill.slug, data))
    raise typer.Exit(0 if all(c["correct"] for c in data["cases"]) else 1)


@command()
def doctor(yes: bool = typer.Option(False, "--yes", "-y", help="Replace a damaged store without asking.")):
    """Check the progress store; a damaged one is moved aside (never deleted) only if you agree."""
    from rich.text import Text

    from grader import paths
    from grader.store import Store, open_or_explain, quarantine

    con = _console()
    path = paths.store_path()
    if not path.exists():
        con.print(f"no store yet at {path}; it is created on first use")
        return
    store, why = open_or_explain(path)
    if store is not None:
        ok = store.integrity_ok()
        store.close()
        con.print(Text(f"store {path}: " + ("ok" if ok else "integrity check FAILED"), style="green" if ok else "red"))
        if ok:
            return
    else:
        con.print(Text(f"store {path} is damaged: {why}", style="red"))
    if not yes:
        if not sys.stdin.isatty():
            _fail("the store is damaged", hint="`drill doctor --yes` moves it aside and starts a fresh one")
        if not typer.confirm("Move the damaged file aside and start a fresh store?", default=False):
            raise typer.Exit(1)
    kept = quarantine(path)
    Store(path).close()
    con.print(Text(f"the damaged store is kept at {kept}; a fresh store is at {path}"))


@command()
def where():
    """Where your workspace and your progress store live."""
    from grader import paths
    from grader.workspace import Workspace

    _console().print(f"workspace: {Workspace().root}\nstore:     {paths.store_path()}")


def _next_unsolved(after: str | None = None) -> str:
    from grader.progress import drill_rows

    rows = drill_rows()
    slugs = [r["slug"] for r in rows]
    start = slugs.index(after) + 1 if after in slugs else 0
    for r in rows[start:] + rows[:start]:
        if r["status"] != "passed" and r["slug"] != after:
            return r["slug"]
    return slugs[start % len(slugs)]


@command()
def watch(slug: Optional[str] = typer.Argument(None, help="Drill to watch; default: the next unsolved one.")):
    """Re-grade on every save. Keys: h hint · n next drill · r re-run · q quit."""
    import threading

    from rich.text import Text

    from grader.keys import key_reader
    from grader.render import print_result, watch_footer
    from grader.watch import WatchState, merged_events, regrade, warm_up
    from grader.workspace import Workspace, file_sha

    con = _console()
    slug = slug or _next_unsolved()
    ws = Workspace()
    with key_reader() as read_key:
        while slug:
            drill = _drill(slug)
            path, created = ws.ensure_copy(drill)
            with _store() as s:
                if created:
                    s.start_try(drill.slug)
                s.ensure_try(drill.slug)
            con.print(Text(f"watching {path} (loading the grader...)", style="dim"))
            warm_up(drill)
            state = WatchState(drill, path)
            extra: list = []

            def show(st: WatchState, result: dict) -> None:
                con.clear()
                print_result(con, result)
                for line in extra:
                    con.print(line)
                con.print(watch_footer(st, confirming=st.confirming))
                if not st.confirming:
                    with _store() as s:
                        s.record_attempt(st.drill.slug, result, mode="watch", file_sha=file_sha(st.path))

            def stamp():
                try:
                    st = path.stat()
                    return (st.st_mtime_ns, st.st_size)
                except OSError:
                    return None

            graded = stamp()
            regrade(state, show)
            stop = threading.Event()
            next_slug = None
            for ev in merged_events(path, read_key, stop):
                # a save the watcher missed (e.g. made before it started) is caught on a tick
                changed = ev.kind in ("tick", "save") and stamp() != graded
                # (a save event for content already graded, e.g. the second half of a rename, is dropped)
                if changed or (ev.kind == "key" and ev.key == "r"):
                    extra.clear()
                    graded = stamp()
                    # a newer save stops the follow-up run of this one; the loop then grades it
                    regrade(state, show, superseded=lambda: stamp() != graded)
                elif ev.kind == "key" and ev.key == "h":
                    with _store() as s:
                        n = s.next_hint(drill.slug, len(drill.hints))
                    extra[:] = [Text(f"hint {n}/{len(drill.hints)}: ", style="bold") + Text(drill.hints[n - 1])]
                    show(state, state.last)
                elif ev.kind == "key" and ev.key == "n":
                    next_slug = _next_unsolved(after=drill.slug)
                    break
                elif ev.kind == "key" and ev.key in ("q", "\x1b"):
                    break
            stop.set()
            slug = next_slug
    con.print(Text("stopped watching.", style="dim"))


def _mount_subapps() -> None:
    try:
        from grader.cli_cards import app as cards_app
    except ImportError:  # pragma: no cover - while the cards module is being written
        return
    app.add_typer(cards_app, name="cards", help="Flashcards: review, stats, list, search, import, export.")


_mount_subapps()


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        _console(stderr=True).print("interrupted")
        code = 130
    except SystemExit as e:
        code = e.code
    else:
        code = 0
    _exit(code)


def _exit(code) -> None:
    """Exit with `code`; after a command that loaded torch, without the interpreter's teardown.

    Finalizing an interpreter that imported torch takes about half a second, a fifth of a
    cold `drill run`, and does nothing for us: by now the store is closed (every use is a
    `with`), the user's child has been closed by the grader, output is flushed here, and the
    zygote exits when its socket closes with this process. Nothing of ours uses atexit.
    """
    if "torch" not in sys.modules:
        sys.exit(code)
    if code is None:
        code = 0
    elif not isinstance(code, int):
        sys.stderr.write(f"{code}\n")
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`drill run x | head`): nothing more to say
            pass
    os._exit(code)


import grader.cli_practice  # noqa: E402,F401  (registers mock and history)


if __name__ == "__main__":
    main()
