"""Rendering card text with rich: brackets, HTML-looking text and maths show as written."""
import re
from datetime import date, timedelta
from io import StringIO

from rich.console import Console

from grader import render_cards as rc
from grader.cards.deck import parse_deck
from grader.cards.library import builtin_cards, card_record

CARD = parse_deck("""
## tricky-text
tags: tokenization
difficulty: 1
source: n.txt § h

Q: What does [CLS] mean for a `list[int]` of ids?
A: [CLS] starts the input; list[int] holds ids; <eos> ends it; a[i] = b[j].
Maths stays literal: $\\{j : j \\le i\\}$ and $a*b*c$ and $x_{<t}$; **bold** works.
问: [CLS] 是什么？
答: [MASK] 与 [SEP]。
""")[0]


def render(renderable, width=80) -> str:
    console = Console(file=StringIO(), width=width, color_system=None)
    console.print(renderable)
    return console.file.getvalue()


def test_brackets_and_angle_brackets_show_as_written():
    front = render(rc.card_front_panel(CARD, "en", "new"))
    assert "[CLS]" in front and "list[int]" in front
    back = render(rc.card_back_panel(CARD, "en"), width=200)
    for s in ("[CLS] starts the input", "list[int] holds ids", "<eos> ends it", "a[i] = b[j]"):
        assert s in back


def test_maths_is_shown_literally_not_as_markdown():
    back = render(rc.card_back_panel(CARD, "en"), width=200)
    assert "$\\{j : j \\le i\\}$" in back and "$a*b*c$" in back and "$x_{<t}$" in back
    assert "**bold**" not in back and "bold" in back


def test_both_languages_and_chinese_alone():
    both = render(rc.card_back_panel(CARD, "both"), width=200)
    assert "[CLS] starts" in both and "[MASK] 与 [SEP]" in both
    zh = render(rc.card_front_panel(CARD, "zh", "review"))
    assert "[CLS] 是什么？" in zh and "What does" not in zh and "review" in zh


def test_list_table_keeps_brackets():
    out = render(rc.cards_table([card_record(CARD, None)], "en"), width=120)
    assert "tricky-text" in out and "What does [CLS] mean for a `list[int]`" in out


def test_every_real_card_renders_its_bracketed_tokens():
    checked = 0
    for card in builtin_cards():
        for lang in ("en", "zh"):
            tokens = re.findall(r"\[[A-Z]{2,}\]", card.front(lang) + card.back(lang))
            if not tokens:
                continue
            text = render(rc.card_front_panel(card, lang, "new"), width=500) + \
                render(rc.card_back_panel(card, lang), width=500)
            checked += 1
            for token in tokens:
                assert token in text, (card.id, lang, token)
    assert checked >= 5


def test_stats_view_draws_a_heatmap():
    days = [{"date": (date(2025, 3, 1) + timedelta(days=k)).isoformat(), "reviews": k % 3, "again": 0}
            for k in range(14)]
    stats = {"cards": {"total": 3, "new": 1, "learning": 1, "review": 1, "relearning": 0},
             "due": {"now": 1, "today": 2, "week": 3},
             "reviews": {"total": 14, "today": 1, "days": days},
             "retention": {"definition": "d", "all_time": {"reviews": 4, "passed": 3, "rate": 0.75},
                           "last_30_days": {"reviews": 0, "passed": 0, "rate": None}},
             "tags": [{"tag": "[weird]", "cards": 1, "reviews": 3, "again": 2, "retention": 0.5, "retention_reviews": 2}]}
    out = render(rc.stats_view(stats))
    assert "■" in out and "Mon" in out and "2025-03-01 .. 2025-03-14" in out
    assert "75% all time" in out and "n/a over the last 30 days" in out and "[weird]" in out


def test_errors_show_message_and_hint():
    out = render(rc.error_view("no card has the tag '[x]'", "try [y]"))
    assert "error: no card has the tag '[x]'" in out and "hint: try [y]" in out


def test_split_math_follows_pandoc_rules_for_dollars():
    from grader.cards.text import split_math

    def kinds(s):
        return [(x.kind, x.text, x.display) for x in split_math(s)]
    assert kinds("cost $5, see $\\sqrt{d}$") == [("text", "cost $5, see ", False), ("math", "\\sqrt{d}", False)]
    assert kinds("$$a+b$$ and $20,000 and $30,000") == [("math", "a+b", True), ("text", " and $20,000 and $30,000", False)]
    assert kinds("`$x$` \\$y\\$") == [("code", "`$x$`", False), ("text", " \\$y\\$", False)]
    assert kinds("```\n$z$\n```\n$w$") == [("code", "```\n$z$\n```\n", True), ("math", "w", False)]
