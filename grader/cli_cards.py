"""`drill cards ...`: flashcard review, stats, list, search, import and Anki export.

Thin: parse options, call the engine (grader.cards.*), render (grader.render_cards),
exit code. fsrs and genanki are imported only by the commands that need them; nothing
here imports torch or hypothesis. Run standalone with `python -m grader.cli_cards`.
"""
from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Optional

import typer

from grader.errors import DrillError

app = typer.Typer(help="Flashcards: FSRS review, stats, your own notes as cards, Anki export.",
                  no_args_is_help=True, add_completion=False, rich_markup_mode=None,
                  pretty_exceptions_enable=False)
JSON_SCHEMA_VERSION = 1   # docs/json.md: bump on any change that could break a consumer

LANG_HELP = "Card language: en, zh or both."
REVEAL_KEYS = (" ", "\r", "\n")
QUIT_KEYS = ("q", "Q", "\x03", "\x04", "")     # q, Ctrl-C, Ctrl-D, end of input


def _console(stderr: bool = False):
    from grader.render_cards import make_console

    return make_console(stderr=stderr)


@contextmanager
def _guard() -> Iterator[None]:
    """Print a DrillError (message + hint) to stderr and exit with its code."""
    try:
        yield
    except DrillError as e:
        from grader.render_cards import error_view

        _console(stderr=True).print(error_view(str(e), e.hint))
        raise typer.Exit(e.exit_code) from None


@contextmanager
def _store():
    from grader.store import Store

    store = Store()
    try:
        yield store
    finally:
        store.close()


def _print_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2) + "\n")
    sys.stdout.flush()


# -- review ------------------------------------------------------------------------------------
def review_loop(session, console, read_key: Callable[[], str], lang: str, clear: bool = False) -> list[int]:
    """Drive a ReviewSession with single keys until it is done or the user quits.

    `read_key()` returns one key ('' at end of input). `clear`: redraw the screen for each
    card (a terminal); otherwise print one screen after another (scripts, tests). Returns
    the ratings that stand (given and not undone); each one is already committed.
    """
    try:
        _loop(session, console, read_key, lang, clear)
    except KeyboardInterrupt:   # Ctrl-C while drawing: every rating given is already committed
        pass
    return [r.rating for r in session.history]


def _loop(session, console, read_key, lang: str, clear: bool) -> None:
    from grader import render_cards as rc
    from grader.cards import schedule

    last: str | None = None     # what the previous key did, shown above the next card

    def wait(allowed: str, hint) -> str:
        while True:
            key = read_key()
            if key in QUIT_KEYS:
                return "q"
            if key in REVEAL_KEYS and " " in allowed:
                return " "
            if key and key in allowed:
                return key.lower()
            if not clear:  # scripted input: say what is expected
                console.print(hint)

    def say(text: str) -> str:
        if not clear:
            console.print(rc.Text(text, style="italic"))
        return text

    def undo() -> str:
        undone = session.undo()
        return say(f"undid {undone.card.id} ({schedule.RATINGS[undone.rating]})" if undone else "nothing to undo")

    while (card := session.next_card()) is not None:
        state = schedule.state_name(session.state_json(card.id))
        header = rc.review_header(session.remaining(), len(session.history), last if clear else None)
        front = rc.card_front_panel(card, lang, state)
        if clear:
            console.clear()
        console.print(header, front, rc.front_keys(bool(session.history)))
        key = wait(" uU", rc.front_keys(bool(session.history)))
        if key == "q":
            return
        if key == "u":
            last = undo()
            continue
        if clear:               # redraw without the "show answer" line
            console.clear()
            console.print(header, front)
        keys = rc.rating_keys(session.preview(card.id))
        console.print(rc.card_back_panel(card, lang), keys)
        key = wait("1234uU", keys)
        if key == "q":
            return
        if key == "u":
            last = undo()
            continue
        rated = session.rate(card.id, int(key))
        last = say(rc.rated_line(card.id, rated.rating, rated.scheduled.interval))
    console.print(rc.Text("No more cards due now." if session.history or last else
                          "Nothing to review: no card is due and no new card is left for today.", style="bold green"))


@app.command()
def review(
    tag: Optional[str] = typer.Option(None, "--tag", "-t", help="Only cards with this tag."),
    lang: str = typer.Option("both", "--lang", "-l", envvar="DRILL_CARDS_LANG", help=LANG_HELP),
    new: int = typer.Option(10, "--new", "-n", min=0, help="New cards per UTC day (cards first seen today count)."),
    limit: Optional[int] = typer.Option(None, "--limit", min=0, help="At most this many cards this session."),
) -> None:
    """Review due cards, then new ones. Space/Enter shows the answer; 1-4 rates; u undoes; q quits."""
    from grader.keys import read_key
    from grader.cards.library import all_cards, check_lang, require_tag
    from grader.cards.review import ReviewSession
    from grader.render_cards import review_summary

    console = _console()
    with _guard(), _store() as store:
        check_lang(lang)
        cards = require_tag(all_cards(store), tag)
        session = ReviewSession(store, cards, new_per_day=new, limit=limit)
        ratings = review_loop(session, console, read_key, lang, clear=console.is_terminal and sys.stdin.isatty())
        console.print(review_summary(ratings, str(store.path)))


# -- stats, list, search ------------------------------------------------------------------------
@app.command()
def stats(
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output (docs/json.md)."),
    weeks: int = typer.Option(12, "--weeks", min=1, max=104, help="Weeks of daily reviews to show."),
) -> None:
    """Due today and this week, reviews per day, retention, weakest tags."""
    from grader.cards.library import all_cards
    from grader.cards.review import utc_now
    from grader.cards.stats import card_stats

    with _guard(), _store() as store:
        s = card_stats(store, all_cards(store), utc_now(), weeks=weeks)
    if as_json:
        _print_json({"schema_version": JSON_SCHEMA_VERSION, **s})
    else:
        from grader.render_cards import stats_view

        _console().print(stats_view(s))


def _records(store, cards):
    from grader.cards.library import card_record, review_counts, states

    known, counts = states(store), review_counts(store)
    return [card_record(c, known.get(c.id), counts.get(c.id, 0)) for c in cards]


@app.command("list")
def list_cards(
    tag: Optional[str] = typer.Option(None, "--tag", "-t", help="Only cards with this tag."),
    lang: str = typer.Option("en", "--lang", "-l", help="Language of the front column: en or zh."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output (docs/json.md)."),
) -> None:
    """Every card with its topic, state and due date."""
    from grader.cards.library import all_cards, check_lang, require_tag

    with _guard(), _store() as store:
        check_lang(lang)
        records = _records(store, require_tag(all_cards(store), tag))
    if as_json:
        _print_json({"schema_version": JSON_SCHEMA_VERSION, "count": len(records), "cards": records})
        return
    from grader.render_cards import cards_table

    _console().print(cards_table(records, lang, title=f"{len(records)} cards"))


@app.command()
def search(
    query: str = typer.Argument(..., help="Words that must all appear (fronts and backs, English and Chinese)."),
    tag: Optional[str] = typer.Option(None, "--tag", "-t", help="Only cards with this tag."),
    lang: str = typer.Option("en", "--lang", "-l", help="Language of the front column: en or zh."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output (docs/json.md)."),
) -> None:
    """Find cards by words in their text."""
    from grader.cards.library import all_cards, check_lang, require_tag
    from grader.cards.library import search as find

    with _guard(), _store() as store:
        check_lang(lang)
        hits = find(require_tag(all_cards(store), tag), query)
        records = _records(store, [c for c, _ in hits])
    for rec, (_, fields) in zip(records, hits):
        rec["matches"] = fields
    if as_json:
        _print_json({"schema_version": JSON_SCHEMA_VERSION, "query": query, "count": len(records),
                     "cards": records})
        return
    from grader.render_cards import Text, cards_table

    if not records:
        _console().print(Text(f"No card matches {query!r}."))
        return
    _console().print(cards_table(records, lang, title=f"{len(records)} cards match {query!r}"))


# -- import, export ------------------------------------------------------------------------------
@app.command("import")
def import_(
    notes: Path = typer.Argument(..., help="A Markdown file: question headings become fronts, their sections backs."),
    deck: Optional[str] = typer.Option(None, "--deck", "-d", help="Deck name (default: the file name without suffix)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would be imported; store nothing."),
) -> None:
    """Turn your own notes into cards; importing again updates them and keeps their schedules."""
    from grader.cards.importer import import_notes
    from grader.render_cards import import_view

    with _guard(), _store() as store:
        report = import_notes(store, notes, deck=deck, dry_run=dry_run)
    _console().print(import_view(report))


@app.command()
def export(
    anki: Path = typer.Option(..., "--anki", help="The .apkg file to write."),
    tag: Optional[str] = typer.Option(None, "--tag", "-t", help="Only cards with this tag."),
    lang: str = typer.Option("both", "--lang", "-l", envvar="DRILL_CARDS_LANG", help=LANG_HELP),
) -> None:
    """Write an Anki package: one deck per topic; re-exporting updates notes, never duplicates."""
    from grader.cards.anki import export_anki
    from grader.cards.library import all_cards, check_lang, require_tag
    from grader.render_cards import export_view

    with _guard(), _store() as store:
        check_lang(lang)
        result = export_anki(require_tag(all_cards(store), tag), anki, lang=lang)
    _console().print(export_view(result, str(anki)))


if __name__ == "__main__":
    app()
