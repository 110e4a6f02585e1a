"""Rendering with rich: grading results, the catalogue, prompts, hints, stats.

Only this module (and cli*.py, render_*.py) import rich. Every function takes a Console so
tests can render into a StringIO. User-provided text (messages, tracebacks, printed
output, card text) always goes through Text or Markdown, never raw console markup, so
`list[int]` or `[CLS]` show as written.
"""
from __future__ import annotations

from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

STATUS_STYLE = {"pass": "bold green", "fail": "bold red", "error": "bold magenta",
                "not_started": "bold yellow", "skipped": "dim", "not started": "yellow",
                "in progress": "cyan", "passed": "green", "failing": "red"}
MARK = {"pass": "✓", "fail": "✗", "error": "!", "skipped": "–", "not_started": "·"}


def seconds(s: float | None) -> str:
    if s is None:
        return "—"
    s = int(round(s))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{(s % 3600) // 60:02d}m"


def _value(v: dict) -> str:
    if "items" in v:
        return "[" + ", ".join(_value(i) for i in v["items"]) + "]"
    if "shape" in v:
        head = f"{v['dtype']} {tuple(v['shape'])}"
        return f"{head} = {v['values']}" if "values" in v else head
    return v.get("repr", "")


def counterexample_text(ce: dict) -> Text:
    out = Text()
    draws = [d for d in ce.get("draws", []) if d.get("label") != "seed"]
    if draws:
        out.append("drawn: ", style="dim")
        out.append(", ".join(f"{d['label']}={_value(d)}" for d in draws) + "\n")
    for call in ce.get("calls", []):
        out.append(f"{call['call']}(", style="bold")
        out.append(", ".join(a["name"] for a in call.get("args", [])))
        out.append(")\n", style="bold")
        for a in call.get("args", []):
            out.append(f"    {a['name']}: ", style="cyan")
            out.append(_value(a) + "\n")
        if "error" in call:
            out.append("    raised: ", style="red")
            out.append(call["error"] + "\n")
        elif "result" in call:
            out.append("    returned: ", style="yellow")
            out.append(_value(call["result"]) + "\n")
    return out


def result_renderable(r: dict, verbose: bool = False):
    parts: list[Any] = []
    status = r["status"]
    head = Text()
    head.append(f" {status.upper().replace('_', ' ')} ", style=f"reverse {STATUS_STYLE.get(status, '')}")
    head.append(f"  {r['drill']}", style="bold")
    head.append(f"  {r['file']}", style="dim")
    head.append(f"  ({r['duration_s']:.1f}s)", style="dim")
    parts.append(head)
    msg = Text(r["message"])
    parts.append(msg)
    if r.get("detail"):
        parts.append(Panel(Text(r["detail"]), title="details", border_style="dim", expand=False))

    props = r.get("properties", [])
    if props:
        # one line per property: its title and a verdict per device/dtype
        order: list[str] = []
        rows: dict[str, list[dict]] = {}
        for p in props:
            if p["name"] not in rows:
                order.append(p["name"])
            rows.setdefault(p["name"], []).append(p)
        table = Table(show_header=False, box=None, padding=(0, 1), expand=False)
        table.add_column(width=1)
        table.add_column(overflow="fold")
        table.add_column(overflow="fold", style="dim")
        for name in order:
            runs = rows[name]
            worst = "error" if any(x["status"] == "error" for x in runs) else \
                "fail" if any(x["status"] == "fail" for x in runs) else \
                "pass" if any(x["status"] == "pass" for x in runs) else "skipped"
            where = " ".join(f"{x['device']}/{x['dtype']}{MARK.get(x['status'], '?')}" for x in runs)
            table.add_row(Text(MARK[worst], style=STATUS_STYLE[worst]), Text(runs[0]["title"]), Text(where))
        parts.append(table)
        shown = 0
        for p in props:
            if p["status"] not in ("fail", "error") or (shown >= 1 and not verbose):
                continue
            shown += 1
            body = [Text(p["message"] or "", style="red")]
            if p.get("detail"):
                body.append(Text(p["detail"], style="dim"))
            if p.get("counterexample"):
                # only a run's first failure is shrunk, and none in the quick first verdict
                shrunk = shown == 1 and r.get("profile") not in ("quick", "mistakes")
                body.append(Text("smallest failing example found:" if shrunk
                                 else "failing example (as found, not shrunk):", style="bold"))
                body.append(counterexample_text(p["counterexample"]))
            parts.append(Panel(Group(*body), title=f"{p['name']} [{p['device']}/{p['dtype']}]",
                               title_align="left", border_style="red", expand=False))
        more = len({p["name"] for p in props if p["status"] in ("fail", "error")}) - 1
        if more > 0 and not verbose:
            parts.append(Text(f"(and {more} more failing propert{'y' if more == 1 else 'ies'}; --verbose shows all)",
                              style="dim"))
    for d in r.get("diagnosis", []):
        t = Text()
        t.append("likely bug: ", style="bold yellow")
        t.append(d["title"])
        if d.get("explain"):
            t.append("\n" + d["explain"], style="dim")
        parts.append(t)
    if r.get("devices", {}).get("cuda", "").startswith("skipped"):
        parts.append(Text(f"cuda: {r['devices']['cuda']}", style="dim"))
    if r.get("output"):
        parts.append(Panel(Text(r["output"][:2000]), title="your code printed", border_style="dim", expand=False))
    if r.get("next_step"):
        t = Text("next: ", style="bold")
        t.append(r["next_step"])
        parts.append(t)
    return Group(*parts)


def print_result(console: Console, r: dict, verbose: bool = False) -> None:
    console.print(result_renderable(r, verbose))


def catalog_lines(rows: list[dict], width: int = 80) -> Group:
    """The catalogue, one line per drill, grouped under topic headings.

    Columns are sized from the data; the title takes what width is left and is cut with an
    ellipsis rather than wrapped, so the list stays one screen of aligned lines. (A rich
    Table measured every cell twice and cost more than the rest of `drill list` together.)
    """
    from rich.cells import cell_len

    cols = [("#", lambda r: str(r["index"]), "right"), ("drill", lambda r: r["slug"], "left"),
            ("level", lambda r: r["difficulty"], "left"), ("min", lambda r: str(r["minutes"]), "right"),
            ("status", lambda r: r["status"], "left"), ("best", lambda r: seconds(r.get("best_seconds")), "right")]
    widths = {name: max([cell_len(name)] + [cell_len(get(r)) for r in rows]) for name, get, _ in cols}
    fixed = sum(widths.values()) + 2 * len(cols)
    title_w = max(12, min(max([5] + [cell_len(r["title"]) for r in rows]), width - fixed))

    def cell(text: str, w: int, align: str) -> str:
        if cell_len(text) > w:
            text = text[: max(w - 1, 0)] + "…"
        pad = " " * max(w - cell_len(text), 0)
        return pad + text if align == "right" else text + pad

    def line(values: dict, styles: dict | None = None, base: str = "") -> Text:
        t = Text(style=base)
        for name, _, align in cols[:2]:
            t.append(cell(values[name], widths[name], align) + "  ", style=(styles or {}).get(name, ""))
        t.append(cell(values["title"], title_w, "left") + "  ")
        for name, _, align in cols[2:]:
            t.append(cell(values[name], widths[name], align) + ("  " if name != "best" else ""),
                     style=(styles or {}).get(name, ""))
        t.rstrip()
        return t

    header = {name: name for name, _, _ in cols} | {"title": "title"}
    out = [line(header, base="bold")]
    topic = None
    for row in rows:
        if row["topic"] != topic:
            topic = row["topic"]
            out.append(Text(topic, style="bold underline"))
        values = {name: get(row) for name, get, _ in cols} | {"title": row["title"]}
        out.append(line(values, {"#": "dim", "drill": "bold", "status": STATUS_STYLE.get(row["status"], "")}))
    return Group(*out)


def prompt_panel(slug: str, title: str, prompt: str, path: str, meta: str) -> Group:
    from rich.markdown import Markdown  # pulls in markdown_it and pygments: only when needed

    return Group(
        Text(f"{title}  ", style="bold") + Text(meta, style="dim"),
        Markdown(_prompt_markdown(prompt)),
        Text("edit: ", style="bold") + Text(path),
        Text("then: ", style="bold") + Text(f"drill run {slug}   ·   drill watch {slug}   ·   drill hint {slug}"),
    )


def _prompt_markdown(prompt: str) -> str:
    """The docstring as Markdown: indented blocks become code blocks, the rest stays text."""
    lines = prompt.splitlines()
    out, in_code = [], False
    for line in lines:
        indented = line.startswith("    ") and line.strip()
        if indented and not in_code:
            out.append("```python")
            in_code = True
        elif in_code and line.strip() and not line.startswith("    "):
            out.append("```")
            in_code = False
        out.append(line[4:] if in_code and line.startswith("    ") else line)
    if in_code:
        out.append("```")
    return "\n".join(out)


def bar(fraction: float | None, width: int = 12) -> Text:
    if fraction is None:
        return Text("·" * width, style="dim")
    full = int(round(fraction * width))
    return Text("█" * full, style="green") + Text("░" * (width - full), style="dim")


def print_stats(console: Console, data: dict) -> None:
    console.print(Text(f"solved {data['solved']} of {data['total']} drills", style="bold"))
    t = Table(title="by topic", title_justify="left", expand=False)
    for col in ("topic", "solved", "", "attempts", "pass rate", "hints"):
        t.add_column(col)
    for row in data["topics"]:
        frac = row["solved"] / row["drills"] if row["drills"] else 0
        t.add_row(row["topic"], f"{row['solved']}/{row['drills']}", bar(frac), str(row["attempts"]),
                  "—" if row["pass_rate"] is None else f"{row['pass_rate']:.0%}", str(row["hints_shown"]))
    console.print(t)
    d = Table(title="by drill (attempted)", title_justify="left", expand=False)
    for col in ("drill", "status", "attempts", "pass rate", "best", "median", "hints"):
        d.add_column(col)
    for row in data["drills"]:
        if not row["attempts"]:
            continue
        d.add_row(row["slug"], Text(row["status"], style=STATUS_STYLE.get(row["status"], "")), str(row["attempts"]),
                  "—" if row["pass_rate"] is None else f"{row['pass_rate']:.0%}",
                  seconds(row["best_seconds"]), seconds(row["median_seconds"]), str(row["hints_shown"]))
    if d.row_count:
        console.print(d)
    if data.get("mock_scores"):
        console.print(mock_scores_view(data["mock_scores"]))
    if data.get("cards"):
        c = data["cards"]
        console.print(Text(f"cards: {c.get('reviewed', 0)} reviewed, retention "
                           f"{'—' if c.get('retention') is None else format(c['retention'], '.0%')} "
                           f"(rated Hard or better), {c.get('due_today', 0)} due today"))
    console.print(Text("weakest topics, and what to do next:", style="bold"))
    for w in data["weakest"]:
        line = Text(f"  {w['topic']}: {w['solved']}/{w['drills']} solved")
        if w.get("pass_rate") is not None:
            line.append(f", {w['pass_rate']:.0%} of runs pass")
        if w.get("card_retention") is not None:
            line.append(f", cards {w['card_retention']:.0%} recalled")
        line.append(" → ")
        line.append(w["next"], style="bold")
        console.print(line)


def mock_scores_view(scores: list[dict], last: int = 10) -> Group:
    """Mock interview scores over time, oldest first, one bar each (fits 80 columns)."""
    shown = scores[-last:]
    title = "mock interviews: score over time" + (f" (last {last} of {len(scores)})" if len(scores) > last else "")
    lines: list = [Text(title, style="bold")]
    for s in shown:
        line = Text(f"  {s['started_at'][:16].replace('T', ' ')}  ")
        line.append_text(bar(s["score"] / 100, width=30))
        line.append(f" {s['score']:3.0f}")
        lines.append(line)
    values = [s["score"] for s in scores]
    summary = f"  best {max(values):.0f} · average {sum(values) / len(values):.0f}"
    if len(shown) > 1:
        delta = shown[-1]["score"] - shown[0]["score"]
        summary += f" · {'+' if delta >= 0 else ''}{delta:.0f} since {shown[0]['started_at'][:10]}"
    lines.append(Text(summary, style="dim"))
    return Group(*lines)


def follow_up_note(result: dict | None) -> str:
    """The line under a quick verdict while the default run that follows it is under way."""
    if result and result.get("status") == "fail":
        return "quick check failed; shrinking the counterexample and looking for the likely bug..."
    return "quick check passed; confirming with more examples..."


def watch_footer(state, confirming: bool = False) -> Text:
    t = Text()
    if confirming:
        t.append(follow_up_note(state.last) + "\n", style="yellow")
    t.append(f"watching {state.path} · run {state.runs}", style="dim")
    if state.history:
        t.append(" · " + " ".join(MARK.get(s, "?") for s in state.history[-12:]), style="dim")
    t.append("\n[h] hint  [n] next drill  [r] re-run  [q] quit", style="bold")
    return t


def bench_table(slug: str, data: dict) -> Table:
    t = Table(title=Text(f"drill bench {slug}: median ms ± half the interquartile range"), title_justify="left",
              expand=False)
    for col in ("case", "dev", "yours", "ref", "torch", "÷ref", "÷torch"):
        t.add_column(col, justify="right" if col not in ("case", "dev") else "left")

    def cell(c, key):
        tm = c["timings_ms"].get(key)
        return "—" if tm is None else f"{tm['median']:.1f}±{(tm['q3'] - tm['q1']) / 2:.1f}"

    def ratio(x):
        return "—" if x is None else f"{x:.2f}x"

    for c in data["cases"]:
        if not c["correct"]:
            t.add_row(Text(c["case"]), c["device"], Text("wrong: " + c["message"][:200], style="red"), "", "", "", "")
            continue
        t.add_row(Text(c["case"]), c["device"], cell(c, "yours"), cell(c, "reference"), cell(c, "torch"),
                  ratio(c["ratio_vs_reference"]), ratio(c["ratio_vs_torch"]))
    return t
