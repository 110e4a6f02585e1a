"""Check a deck against the source notes: every `source:` must name a real note heading.

Run `python -m grader.cards.validate [DECK_DIR] [NOTES_DIR]` while writing cards.
"""
from __future__ import annotations

import sys
from pathlib import Path

from grader.cards.deck import Card, DeckError, headings_outside_code, load_deck_dir

SECTION_SIGN = "§"


def source_problems(cards: list[Card], notes_dir: Path, drill_slugs: set[str] | None = None) -> list[str]:
    """One message per source that does not resolve; an empty list means all resolve.

    A source is `NOTE_FILE § HEADING` (HEADING is the text of a Markdown heading of that
    note, without the #s) or `drill:SLUG`.
    """
    headings: dict[str, set[str]] = {}
    problems = []
    for card in cards:
        for src in card.sources:
            where = f"{card.path}:{card.line}: card {card.id!r}: source {src!r}"
            if src.startswith("drill:"):
                slug = src[len("drill:"):].strip()
                if drill_slugs is not None and slug not in drill_slugs:
                    problems.append(f"{where}: no drill named {slug!r}")
                continue
            if SECTION_SIGN not in src:
                problems.append(f"{where}: expected 'NOTE_FILE § HEADING' or 'drill:SLUG'")
                continue
            name, heading = (s.strip() for s in src.split(SECTION_SIGN, 1))
            if name not in headings:
                note = notes_dir / name
                headings[name] = set(headings_outside_code(note.read_text(encoding="utf-8"))) if note.is_file() else set()
                if not note.is_file():
                    problems.append(f"{where}: no note file {name!r} in {notes_dir}")
                    continue
            if headings[name] and heading not in headings[name]:
                problems.append(f"{where}: {name} has no heading {heading!r}")
    return problems


def main(argv: list[str]) -> int:
    root = Path(__file__).resolve().parents[2]
    deck_dir = Path(argv[0]) if argv else root / "drills" / "cards"
    notes_dir = Path(argv[1]) if len(argv) > 1 else root.parent / "shared" / "notes"
    try:
        cards = load_deck_dir(deck_dir)
    except DeckError as e:
        print(e)
        return 1
    problems = source_problems(cards, notes_dir)
    for p in problems:
        print(p)
    print(f"{len(cards)} cards, {len(problems)} source problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
