"""The deck format (grader.cards.deck) and the real deck in drills/cards/."""
from pathlib import Path

import pytest

from grader import paths
from grader.cards.deck import DeckError, load_deck_dir, parse_deck
from grader.cards.text import detect_lang
from grader.cards.validate import source_problems

NOTES_DIR = Path(__file__).resolve().parents[2] / "shared" / "notes"

ONE_CARD = """# A deck title
Some introduction that is ignored, even with Q: in it? No: only after a card heading.

## attn-scale
tags: attention, scaling
difficulty: 2
source: note.txt § 为什么要除以根号dk？
kind: misconception

Q: Why divide by $\\sqrt{d_k}$?
A: First paragraph.

Second paragraph with `list[int]`.
问： 为什么除以 $\\sqrt{d_k}$？
答: 方差为 $d_k$。
"""


def test_a_card_parses_with_all_fields_and_a_full_width_colon():
    [card] = parse_deck(ONE_CARD, path="x.md", deck="x")
    assert card.id == "attn-scale"
    assert card.tags == ("attention", "scaling") and card.topic == "attention"
    assert card.difficulty == 2 and card.kind == "misconception"
    assert card.sources == ("note.txt § 为什么要除以根号dk？",)
    assert card.back_en == "First paragraph.\n\nSecond paragraph with `list[int]`."
    assert card.front_zh == "为什么除以 $\\sqrt{d_k}$？"
    assert card.deck == "x" and card.line == 4


def test_markers_and_headings_inside_code_fences_are_text():
    text = ONE_CARD.replace("Second paragraph with `list[int]`.",
                            "```python\n## not-a-card\nQ: not a marker\n```")
    [card] = parse_deck(text)
    assert "## not-a-card\nQ: not a marker" in card.back_en


def test_content_hash_changes_with_text_but_not_the_id():
    [a] = parse_deck(ONE_CARD)
    [b] = parse_deck(ONE_CARD.replace("First paragraph.", "First paragraph, edited."))
    assert a.id == b.id and a.content_hash != b.content_hash


@pytest.mark.parametrize("change, message", [
    (("## attn-scale", "## Attn Scale"), "card id"),
    (("问： 为什么除以 $\\sqrt{d_k}$？\n", ""), "front zh"),
    (("difficulty: 2", "difficulty: 5"), "difficulty must be 1, 2 or 3"),
    (("difficulty: 2", "difficulty: two"), "difficulty must be 1, 2 or 3"),
    (("kind: misconception", "kind: opinion"), "kind must be one of"),
    (("tags: attention, scaling\n", ""), "no 'tags:' line"),
    (("kind: misconception\n", "kind: fact\nstray line\n"), "unexpected line before 'Q:'"),
    (("答: 方差为 $d_k$。", "答: 方差为 $d_k$。\nA: again"), "two 'A:' sections"),
])
def test_malformed_cards_are_rejected_with_file_and_line(change, message):
    with pytest.raises(DeckError, match=message) as e:
        parse_deck(ONE_CARD.replace(*change), path="deck.md")
    assert str(e.value).startswith("deck.md:")


def test_duplicate_ids_across_files_are_rejected(tmp_path):
    (tmp_path / "a.md").write_text(ONE_CARD, encoding="utf-8")
    (tmp_path / "b.md").write_text(ONE_CARD, encoding="utf-8")
    (tmp_path / "README.md").write_text("## not-read\n", encoding="utf-8")
    with pytest.raises(DeckError, match="already used"):
        load_deck_dir(tmp_path)


# -- the real deck ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def deck():
    return load_deck_dir(paths.cards_dir())


def test_the_real_deck_loads_with_unique_ids(deck):
    assert len(deck) >= 200
    ids = [c.id for c in deck]
    assert len(ids) == len(set(ids))
    assert not [i for i in ids if i.startswith("imp.")], "the imp. prefix is reserved for imported notes"


def test_every_card_has_both_languages(deck):
    for c in deck:
        assert c.front_en and c.back_en and c.front_zh and c.back_zh, c.id
        assert detect_lang(c.front_zh) == "zh" and detect_lang(c.back_zh) == "zh", c.id
        assert detect_lang(c.front_en) == "en", c.id


def test_every_source_resolves_to_a_note_heading(deck):
    if not NOTES_DIR.is_dir():
        pytest.skip(f"notes folder {NOTES_DIR} is absent")
    slugs = {p.name for p in paths.drills_dir().iterdir() if (p / f"{p.name}.py").is_file()}
    assert source_problems(deck, NOTES_DIR, drill_slugs=slugs) == []


def test_every_dollar_in_the_deck_opens_maths_or_is_escaped(deck):
    from grader.cards.text import split_math

    for c in deck:
        for f in ("front_en", "back_en", "front_zh", "back_zh"):
            for seg in split_math(getattr(c, f)):
                if seg.kind == "text":
                    assert "$" not in seg.text.replace("\\$", ""), (c.id, f, seg.text[:80])
