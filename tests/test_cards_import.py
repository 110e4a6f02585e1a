"""Importing a user's Markdown notes as cards (grader.cards.importer)."""
from datetime import datetime, timezone
from pathlib import Path

import pytest

from grader.cards.importer import (cards_from_text, import_notes, imported_cards, imported_id, is_question,
                                   normalise_heading, sections)
from grader.cards.library import all_cards
from grader.cards.review import ReviewSession
from grader.cards.text import card_back, card_front, card_lang
from grader.errors import DrillError
from grader.store import Store

NOTES = Path(__file__).resolve().parents[2] / "shared" / "notes"
NOTE_002 = NOTES / "002_06fbeff3556675ca.txt"

MY_NOTES = """---
title: my notes
---
# Transformer notes

## Why divide by sqrt(d_k)?
The dot product of two random unit-variance vectors has variance d_k.

```python
# not a heading: a comment in code
scores = q @ k.T / d_k ** 0.5
```

### A detail under it
Still part of the answer above.

## LayerNorm
Not a question: ignored.

## 为什么用多头
每个头关注不同子空间。

## How does RoPE work
It rotates pairs of dimensions.

## What is empty?

## However, a statement
Not a question either.
"""


@pytest.fixture
def store(drill_home):
    s = Store()
    yield s
    s.close()


@pytest.mark.parametrize("heading, question", [
    ("为什么要除以根号dk？", True), ("Is this a question?", True), ("why not", True), ("HOW it works", True),
    ("What's new", True), ("Layer Normalization 怎么计算", True), ("有哪些mask类型", True),
    ("1. Why pre-norm", True), ("Q3: what is RoPE", True), ("However", False), ("Whatever works", False),
    ("LayerNorm", False), ("激活函数", False), ("Howto", False),
])
def test_question_headings(heading, question):
    assert is_question(heading) is question


def test_sections_run_to_the_next_heading_of_the_same_or_higher_level():
    secs = {s.heading: s for s in sections(MY_NOTES)}
    why = secs["Why divide by sqrt(d_k)?"]
    assert "### A detail under it\nStill part of the answer above." in why.body
    assert "# not a heading" in why.body and "LayerNorm" not in why.body
    assert "not a heading: a comment in code" not in secs          # code comments are not headings
    assert all("title: my notes" not in s.body for s in secs.values())         # front matter skipped


def test_cards_from_question_headings_only(tmp_path):
    records, empty = cards_from_text(MY_NOTES, "mine", "notes.md")
    assert [r["front"] for r in records] == ["Why divide by sqrt(d_k)?", "为什么用多头", "How does RoPE work"]
    assert empty == ["What is empty?"]
    assert [r["lang"] for r in records] == ["en", "zh", "en"]
    assert records[0]["source"] == "notes.md § Why divide by sqrt(d_k)?"
    assert all(r["id"].startswith("imp.mine.") for r in records)


def test_ids_depend_on_the_deck_and_the_normalised_heading_only():
    assert normalise_heading("  **Why**  divide   by √d？ ") == "why divide by √d"
    assert imported_id("mine", "Why divide?") == imported_id("Mine", "why  divide")
    assert imported_id("mine", "Why divide?") != imported_id("other", "Why divide?")
    assert imported_id("mine", "Why divide?", 2) == imported_id("mine", "Why divide?") + "-2"


def test_import_twice_edit_and_import_again_keeps_ids_and_schedules(store, tmp_path):
    notes = tmp_path / "mine.md"
    notes.write_text(MY_NOTES, encoding="utf-8")
    first = import_notes(store, notes)
    assert len(first.added) == 3 and first.deck == "mine"
    again = import_notes(store, notes)
    assert again.added == [] and sorted(again.unchanged) == sorted(first.added)
    assert store.conn.execute("SELECT COUNT(*) FROM imported_cards").fetchone()[0] == 3

    # review one imported card, then edit its body (and the heading's case and ?) and re-import
    card_id = first.added[0]
    s = ReviewSession(store, all_cards(store), now=lambda: datetime(2025, 3, 1, tzinfo=timezone.utc), fuzz=False)
    s.rate(card_id, 4)
    state = store.conn.execute("SELECT state_json, due FROM card_states WHERE card_id=?", (card_id,)).fetchone()
    notes.write_text(MY_NOTES.replace("has variance d_k.", "has variance d_k, so scale by its root.")
                     .replace("## Why divide by sqrt(d_k)?", "## why divide by sqrt(d_k)"), encoding="utf-8")
    edited = import_notes(store, notes)
    assert edited.updated == [card_id] and edited.added == [] and len(edited.unchanged) == 2
    assert store.conn.execute("SELECT COUNT(*) FROM imported_cards").fetchone()[0] == 3
    assert tuple(store.conn.execute("SELECT state_json, due FROM card_states WHERE card_id=?",
                                    (card_id,)).fetchone()) == tuple(state)
    card = next(c for c in imported_cards(store) if c.id == card_id)
    assert "so scale by its root" in card.back_en


def test_a_section_removed_from_the_file_leaves_the_deck_but_not_the_history(store, tmp_path):
    notes = tmp_path / "mine.md"
    notes.write_text(MY_NOTES, encoding="utf-8")
    first = import_notes(store, notes)
    notes.write_text(MY_NOTES.replace("## How does RoPE work\nIt rotates pairs of dimensions.\n", ""), encoding="utf-8")
    second = import_notes(store, notes)
    assert len(second.removed) == 1 and second.removed[0] in first.added
    assert len(imported_cards(store)) == 2


def test_another_deck_name_makes_other_cards(store, tmp_path):
    notes = tmp_path / "mine.md"
    notes.write_text(MY_NOTES, encoding="utf-8")
    a = import_notes(store, notes)
    b = import_notes(store, notes, deck="Interview Prep")
    assert set(a.ids).isdisjoint(b.ids)
    assert all(i.startswith("imp.interview-prep.") for i in b.ids)
    assert {c.topic for c in imported_cards(store)} == {"mine", "interview-prep"}


def test_imported_cards_have_one_language_whatever_lang_is_asked(store, tmp_path):
    notes = tmp_path / "mine.md"
    notes.write_text(MY_NOTES, encoding="utf-8")
    import_notes(store, notes)
    zh = next(c for c in imported_cards(store) if c.front_en == "为什么用多头")
    assert card_lang(zh) == "zh"
    for lang in ("en", "zh", "both"):
        assert card_front(zh, lang) == "为什么用多头"
        assert card_back(zh, lang) == "每个头关注不同子空间。"
    assert "imported" in zh.tags


def test_a_missing_file_is_a_drill_error(store, tmp_path):
    with pytest.raises(DrillError, match="no such notes file"):
        import_notes(store, tmp_path / "nope.md")


@pytest.mark.skipif(not NOTE_002.is_file(), reason="shared notes are absent")
def test_the_study_notes_sqrt_dk_question_becomes_a_card(store):
    heading = "为什么要除以根号dk？"
    assert f"#### {heading}" in NOTE_002.read_text(encoding="utf-8").splitlines()
    report = import_notes(store, NOTE_002, deck="llm-notes")
    cards = {c.front_en: c for c in imported_cards(store)}
    assert heading in cards
    card = cards[heading]
    assert card.id == imported_id("llm-notes", heading) and card.id in report.added
    assert "数值稳定性" in card.back_en and "self-attention 为什么用多头" not in card.back_en
    assert card.sources == (f"{NOTE_002.name} § {heading}",)
    again = import_notes(store, NOTE_002, deck="llm-notes")
    assert again.added == [] and again.updated == [] and len(again.unchanged) == len(report.added)
