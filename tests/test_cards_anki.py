"""Anki export (grader.cards.anki): read the .apkg back as a zip holding an SQLite collection."""
import json
import sqlite3
import zipfile
from pathlib import Path

import pytest

from grader.cards.anki import DECK_PREFIX, MODEL_ID, deck_id, export_anki, md_to_html
from grader.cards.deck import parse_deck
from grader.cards.library import builtin_cards
from grader.errors import DrillError

CARDS = parse_deck("""
## attn-scale
tags: attention, scaling
difficulty: 2
source: n.txt § h

Q: Why divide by $\\sqrt{d_k}$ before <softmax>?
A: Variance is $d_k$; the display form is $$\\mathrm{Var}(q\\cdot k)=d_k$$ & `list[int]` stays [CLS].

```python
x = a < b
```
问: 为什么除以 $\\sqrt{d_k}$？
答: 方差为 $d_k$。

## bpe-merge
tags: tokenization
difficulty: 1
source: n.txt § h

Q: What does one BPE merge do?
A: Joins the most frequent **pair**.
问: 一次 BPE 合并做什么？
答: 合并最频繁的一对。
""", deck="t")


def read_apkg(path: Path):
    with zipfile.ZipFile(path) as z:
        assert "collection.anki2" in z.namelist()
        db = path.with_suffix(".anki2")
        db.write_bytes(z.read("collection.anki2"))
    conn = sqlite3.connect(db)
    notes = conn.execute("SELECT guid, mid, flds, tags FROM notes ORDER BY guid").fetchall()
    decks = json.loads(conn.execute("SELECT decks FROM col").fetchone()[0])
    cards = conn.execute("SELECT nid, did FROM cards").fetchall()
    conn.close()
    return notes, decks, cards


def test_export_writes_one_note_per_card_and_one_deck_per_topic(tmp_path):
    import genanki

    result = export_anki(CARDS, tmp_path / "a.apkg")
    assert result == {"notes": 2, "decks": {"drill::attention": 1, "drill::tokenization": 1}}
    notes, decks, cards = read_apkg(tmp_path / "a.apkg")
    assert len(notes) == 2 and len(cards) == 2
    assert {n[0] for n in notes} == {genanki.guid_for("attn-scale"), genanki.guid_for("bpe-merge")}
    assert {n[1] for n in notes} == {MODEL_ID}
    names = {d["name"]: int(i) for i, d in decks.items()}
    assert names[DECK_PREFIX + "attention"] == deck_id(DECK_PREFIX + "attention")
    assert {c[1] for c in cards} == {deck_id(DECK_PREFIX + "attention"), deck_id(DECK_PREFIX + "tokenization")}


def test_guids_and_ids_are_stable_across_exports(tmp_path):
    export_anki(CARDS, tmp_path / "a.apkg")
    export_anki(list(reversed(CARDS)), tmp_path / "b.apkg", lang="en")
    a, da, _ = read_apkg(tmp_path / "a.apkg")
    b, db, _ = read_apkg(tmp_path / "b.apkg")
    assert [n[:2] for n in a] == [n[:2] for n in b]
    assert {d["name"]: i for i, d in da.items()} == {d["name"]: i for i, d in db.items()}


def test_maths_becomes_mathjax_and_html_is_escaped(tmp_path):
    export_anki(CARDS, tmp_path / "a.apkg", lang="en")
    notes, _, _ = read_apkg(tmp_path / "a.apkg")
    fields = {n[2].split("\x1f")[3]: n[2].split("\x1f") for n in notes}
    front, back, source, _ = fields["attn-scale"]
    assert front == "Why divide by \\(\\sqrt{d_k}\\) before &lt;softmax&gt;?"
    assert "\\[\\mathrm{Var}(q\\cdot k)=d_k\\]" in back and "$" not in back
    assert "&amp; <code>list[int]</code> stays [CLS]" in back
    assert "<pre><code>x = a &lt; b</code></pre>" in back
    assert fields["bpe-merge"][1] == "Joins the most frequent <b>pair</b>."
    assert source == "n.txt § h"


def test_both_languages_go_on_one_note(tmp_path):
    export_anki(CARDS[:1], tmp_path / "a.apkg", lang="both")
    [(_, _, flds, tags)] = read_apkg(tmp_path / "a.apkg")[0]
    front = flds.split("\x1f")[0]
    assert '<div class="lang-en">Why divide' in front and '<div class="lang-zh">为什么除以 \\(\\sqrt{d_k}\\)？' in front
    assert set(tags.split()) == {"drill", "attention", "scaling"}


def test_md_to_html_keeps_dollars_that_are_not_maths():
    assert md_to_html("costs \\$500 or $5 and $10") == "costs $500 or $5 and $10"
    assert md_to_html("a\nb\n\nc") == "a<br>b<br><br>c"


def test_the_whole_deck_exports(tmp_path):
    deck = builtin_cards()
    result = export_anki(deck, tmp_path / "deck.apkg")
    notes, decks, _ = read_apkg(tmp_path / "deck.apkg")
    assert result["notes"] == len(deck) == len(notes)
    assert {d["name"] for d in decks.values()} >= {DECK_PREFIX + c.topic for c in deck}


def test_bad_output_names_and_empty_selections_are_drill_errors(tmp_path):
    with pytest.raises(DrillError, match=".apkg"):
        export_anki(CARDS, tmp_path / "a.zip")
    with pytest.raises(DrillError, match="no cards"):
        export_anki([], tmp_path / "a.apkg")
