"""Rich rendering for `drill cards`: review screens, list, search, stats, import and export.

Card text is always rendered through rich's Markdown or Text objects, never as console
markup, so `[CLS]`, `list[int]` and `<eos>` show as written. Maths is shown literally
(`$\\sqrt{d_k}$`): its characters are backslash-escaped so Markdown leaves them alone.
"""
from __future__ import annotations

import re
from datetime import date, timedelta

from rich import box
from rich.console import Console, Group
from rich.markdown import Markdown
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from grader.cards.deck import Card
from grader.cards.importer import deck_slug
from grader.cards.schedule import RATINGS, human_interval
from grader.cards.text import card_back, card_front, split_math

RATING_STYLES = {1: "bold red", 2: "bold yellow", 3: "bold green", 4: "bold cyan"}
_PUNCT_RE = re.compile(r"([!-/:-@\[-`{-~])")       # ASCII punctuation: escapable in CommonMark


def _escape_md(s: str) -> str:
    return _PUNCT_RE.sub(r"\\\1", s)


def protect_markdown(md: str) -> str:
    """Markdown whose maths and HTML-looking text (`<eos>`) render literally.

    >>> protect_markdown("$a*b$ <eos> `x<y`")
    '\\\\$a\\\\*b\\\\$ \\\\<eos> `x<y`'
    """
    out = []
    for seg in split_math(md):
        if seg.kind == "math":
            dollars = "\\$\\$" if seg.display else "\\$"
            out.append(dollars + _escape_md(seg.text) + dollars)
        elif seg.kind == "code":
            out.append(seg.text)
        else:  # keep the author's Markdown; only stop raw HTML and entities being swallowed
            out.append(re.sub(r"(?<!\\)([<&])", r"\\\1", seg.text))
    return "".join(out)


def card_markdown(text: str) -> Markdown:
    return Markdown(protect_markdown(text))


# -- review --------------------------------------------------------------------------------
def review_header(counts: dict[str, int], done: int, last: str | None) -> Text:
    t = Text()
    t.append("drill cards review", style="bold")
    t.append(f"   due {counts['due']} · new {counts['new']} · learning {counts['learning']} · done {done}",
             style="dim")
    if last:
        t.append("\n")
        t.append(last, style="italic")
    return t


def card_front_panel(card: Card, lang: str, state: str) -> Panel:
    title = Text(card.id, style="bold")
    subtitle = Text(f"{card.topic} · {state}", style="dim")
    return Panel(card_markdown(card_front(card, lang)), title=title, title_align="left",
                 subtitle=subtitle, subtitle_align="right", border_style="blue")


def card_back_panel(card: Card, lang: str) -> Panel:
    body = [card_markdown(card_back(card, lang))]
    if card.sources:
        body.append(Text("source: " + "; ".join(card.sources), style="dim"))
    return Panel(Group(*body), title=Text("answer"), title_align="left", border_style="green")


def front_keys(can_undo: bool) -> Text:
    t = Text()
    t.append("space/enter", style="bold")
    t.append(" show answer   ")
    if can_undo:
        t.append("u", style="bold")
        t.append(" undo   ")
    t.append("q", style="bold")
    t.append(" quit")
    return t


def rating_keys(preview: dict[int, timedelta]) -> Text:
    t = Text()
    for r, name in RATINGS.items():
        t.append(f"{r}", style=RATING_STYLES[r])
        t.append(f" {name} ")
        t.append(f"{human_interval(preview[r])}", style="dim")
        t.append("   ")
    t.append("u", style="bold")
    t.append(" undo  ")
    t.append("q", style="bold")
    t.append(" quit")
    return t


def rated_line(card_id: str, rating: int, interval: timedelta) -> str:
    return f"last: {card_id} rated {RATINGS[rating]}, next in {human_interval(interval)} (u undoes it)"


def review_summary(ratings: list[int], store_path: str) -> Text:
    if not ratings:
        return Text("No cards rated.")
    counts = ", ".join(f"{RATINGS[r]} {ratings.count(r)}" for r in RATINGS if ratings.count(r))
    t = Text()
    t.append(f"Rated {len(ratings)} card{'s' if len(ratings) != 1 else ''} ({counts}). ", style="bold")
    t.append(f"Every rating is saved in {store_path}.", style="dim")
    return t


# -- list and search -------------------------------------------------------------------------
def cards_table(records: list[dict], lang: str, title: str | None = None) -> Table:
    """One row per card: id over its front (one line, cut to fit), topic, state, due date."""
    table = Table(title=Text(title) if title else None, box=box.SIMPLE_HEAD, expand=True, pad_edge=False)
    table.add_column("card", no_wrap=True, overflow="ellipsis", ratio=1)
    table.add_column("topic", no_wrap=True, max_width=14)
    table.add_column("state", no_wrap=True)
    table.add_column("due", no_wrap=True)
    for r in records:
        fr = r["front_zh"] if lang == "zh" and r["front_zh"] else (r["front_en"] or r["front_zh"])
        cell = Text()
        cell.append(r["id"], style="bold")
        cell.append("\n" + " ".join(fr.split()), style="dim")
        table.add_row(cell, Text(r["topic"]), Text(r["state"]), Text((r["due"] or "")[:10]))
    return table


# -- stats -------------------------------------------------------------------------------------
_HEAT = [("·", "grey35"), ("■", "green4"), ("■", "green3"), ("■", "green1"), ("■", "bold bright_green")]


def _heat_level(n: int, top: int) -> int:
    if n == 0:
        return 0
    return min(4, 1 + (3 * n) // max(top, 1)) if top > 3 else min(4, n)


def heatmap(days: list[dict]) -> Text:
    """Reviews per day as a weekday x week grid (Monday on top), like a contributions graph."""
    first = date.fromisoformat(days[0]["date"])
    start = first - timedelta(days=first.weekday())        # the Monday of the first week
    weeks = (date.fromisoformat(days[-1]["date"]) - start).days // 7 + 1
    grid = [[None] * weeks for _ in range(7)]
    for d in days:
        k = (date.fromisoformat(d["date"]) - start).days
        grid[k % 7][k // 7] = d["reviews"]
    top = max((d["reviews"] for d in days), default=0)
    t = Text()
    for w, name in enumerate(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")):
        t.append(f"{name} ", style="dim")
        for n in grid[w]:
            if n is None:
                t.append("  ")
            else:
                ch, style = _HEAT[_heat_level(n, top)]
                t.append(ch + " ", style=style)
        t.append("\n")
    t.append(f"    {days[0]['date']} .. {days[-1]['date']}   most in a day: {top}", style="dim")
    return t


def _pct(rate: float | None) -> str:
    return "n/a" if rate is None else f"{100 * rate:.0f}%"


def stats_view(s: dict) -> Group:
    c, due, rev, ret = s["cards"], s["due"], s["reviews"], s["retention"]
    head = Text()
    head.append("Cards ", style="bold")
    head.append(f"{c['total']} total: {c['new']} new, {c['learning']} learning, {c['review']} review, "
                f"{c['relearning']} relearning\n")
    head.append("Due   ", style="bold")
    head.append(f"{due['now']} now, {due['today']} today, {due['week']} this week\n")
    head.append("Reviews ", style="bold")
    head.append(f"{rev['total']} in all, {rev['today']} today\n")
    head.append("Retention ", style="bold")
    head.append(f"{_pct(ret['last_30_days']['rate'])} over the last 30 days "
                f"({ret['last_30_days']['reviews']} reviews), {_pct(ret['all_time']['rate'])} all time "
                f"({ret['all_time']['reviews']})\n")
    head.append(f"  = {ret['definition']}", style="dim")
    parts = [head, Text(""), Text(f"Reviews per day, last {len(rev['days']) // 7} weeks (UTC)", style="bold"),
             heatmap(rev["days"])]
    weak = [t for t in s["tags"] if t["again"] or (t["retention"] is not None and t["retention"] < 1)][:8]
    if weak:
        table = Table(title="Weakest tags (most Again, then lowest retention)", title_justify="left")
        for col in ("tag", "cards", "reviews", "again", "retention"):
            table.add_column(col, justify="left" if col == "tag" else "right")
        for t in weak:
            table.add_row(Text(t["tag"]), str(t["cards"]), str(t["reviews"]), str(t["again"]),
                          f"{_pct(t['retention'])} ({t['retention_reviews']})")
        parts += [Text(""), table]
    return Group(*parts)


# -- import, export, errors --------------------------------------------------------------------
def import_view(report) -> Group:
    t = Text()
    t.append(f"{'Would import' if report.dry_run else 'Imported'} {len(report.ids)} cards into deck ", style="bold")
    t.append(report.deck, style="bold cyan")
    t.append(f" from {report.path}\n")
    t.append(f"  {len(report.added)} new, {len(report.updated)} updated, {len(report.unchanged)} unchanged, "
             f"{len(report.removed)} removed (heading gone; review history kept)")
    parts: list = [t]
    if report.empty:
        parts.append(Text(f"  {len(report.empty)} question headings skipped (no text under them): "
                          + "; ".join(report.empty[:5]) + (" ..." if len(report.empty) > 5 else ""), style="yellow"))
    if not report.ids:
        parts.append(Text("  No question headings found: a heading becomes a card when it ends in ? or ？ or asks "
                          "why/how/what (为什么/如何/什么/怎么...).", style="yellow"))
    elif report.dry_run:
        parts += [Text(f"  {card_id}  {front}") for card_id, front in report.fronts.items()]
    else:
        parts.append(Text(f"  Review them: drill cards review --tag {deck_slug(report.deck)}", style="dim"))
    return Group(*parts)


def export_view(result: dict, out: str) -> Text:
    t = Text()
    t.append(f"Wrote {result['notes']} notes in {len(result['decks'])} decks to {out}\n", style="bold")
    for name, n in result["decks"].items():
        t.append(f"  {name}: {n}\n", style="dim")
    t.append("Import it in Anki (File > Import); exporting again updates these notes instead of duplicating them.",
             style="dim")
    return t


def error_view(message: str, hint: str | None) -> Text:
    t = Text()
    t.append("error: ", style="bold red")
    t.append(message)
    if hint:
        t.append("\n  hint: ", style="bold")
        t.append(hint)
    return t


def make_console(**kw) -> Console:
    return Console(highlight=False, **kw)
