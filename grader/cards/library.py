"""The cards a user has: the built-in deck plus imported notes, with their schedules.

Built-in cards come from `paths.cards_dir()`, imported ones from the store's
`imported_cards` table. A card's schedule (`card_states`) is keyed by its id only, so
editing a card's text keeps its schedule. Everything here is read-only.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from grader import paths
from grader.cards.deck import Card, DeckError, load_deck_dir
from grader.cards.importer import imported_cards
from grader.cards.schedule import as_utc, state_name
from grader.cards.text import card_lang
from grader.errors import DrillError

LANGS = ("en", "zh", "both")
TEXT_FIELDS = ("front_en", "front_zh", "back_en", "back_zh")


@dataclass(frozen=True)
class CardState:
    card_id: str
    state_json: str
    due: datetime
    introduced_at: str

    @property
    def state(self) -> str:
        return state_name(self.state_json)


def builtin_cards(folder: Path | None = None) -> list[Card]:
    try:
        return load_deck_dir(folder or paths.cards_dir())
    except DeckError as e:
        raise DrillError(f"the card deck cannot be read: {e}",
                         hint="run `python -m grader.cards.validate` to check the deck") from None


def all_cards(store, folder: Path | None = None) -> list[Card]:
    """Built-in cards, then imported ones; an imported card never shadows a built-in id."""
    cards = builtin_cards(folder)
    ids = {c.id for c in cards}
    return cards + [c for c in imported_cards(store) if c.id not in ids]


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise DrillError(f"unknown language {lang!r}", hint="use --lang en, zh or both")
    return lang


def filter_cards(cards: list[Card], tag: str | None = None) -> list[Card]:
    """Cards carrying `tag` (case-insensitive); all cards when tag is None."""
    if not tag:
        return list(cards)
    t = tag.strip().lower()
    return [c for c in cards if t in (x.lower() for x in c.tags)]


def require_tag(cards: list[Card], tag: str | None) -> list[Card]:
    picked = filter_cards(cards, tag)
    if tag and not picked:
        topics = sorted({c.topic for c in cards})
        raise DrillError(f"no card has the tag {tag!r}",
                         hint="main topics: " + ", ".join(topics) + " (all tags: drill cards list --json)")
    return picked


def states(store) -> dict[str, CardState]:
    """Every scheduled card's state, by card id (cards never reviewed are absent)."""
    rows = store.conn.execute("SELECT card_id, state_json, due, introduced_at FROM card_states")
    return {r["card_id"]: CardState(r["card_id"], r["state_json"], as_utc(datetime.fromisoformat(r["due"])),
                                    r["introduced_at"]) for r in rows}


def review_counts(store) -> dict[str, int]:
    """Reviews per card, undone ones left out."""
    return {r[0]: r[1] for r in store.conn.execute(
        "SELECT card_id, COUNT(*) FROM review_logs WHERE undone=0 GROUP BY card_id")}


def _fold(s: str) -> str:
    return unicodedata.normalize("NFKC", s).casefold()


def search(cards: list[Card], query: str) -> list[tuple[Card, list[str]]]:
    """Cards whose text holds every word of the query (case- and width-insensitive).

    Returns (card, fields that matched), cards matching on a front first.
    """
    words = _fold(query).split()
    if not words:
        raise DrillError("empty search", hint="give one or more words: drill cards search 'layer norm'")
    hits = []
    for card in cards:
        texts = {f: _fold(getattr(card, f)) for f in TEXT_FIELDS}
        whole = "\n".join(texts.values()) + "\n" + _fold(card.id)
        if all(w in whole for w in words):
            fields = [f for f, t in texts.items() if any(w in t for w in words)]
            if card_lang(card) != "both":
                fields = [f for f in fields if f.endswith("_en")]  # one text, stored twice
            hits.append((card, fields))
    hits.sort(key=lambda h: not any(f.startswith("front") for f in h[1]))
    return hits


def card_record(card: Card, state: CardState | None, reviews: int = 0) -> dict:
    """One card as `--json` shows it (keys documented in docs/json.md)."""
    one = card_lang(card)
    return {
        "id": card.id,
        "deck": card.deck,
        "topic": card.topic,
        "tags": list(card.tags),
        "difficulty": card.difficulty,
        "kind": card.kind,
        "sources": list(card.sources),
        "imported": card.id.startswith("imp."),
        "lang": one,
        "front_en": card.front_en if one in ("both", "en") else None,
        "front_zh": card.front_zh if one in ("both", "zh") else None,
        "back_en": card.back_en if one in ("both", "en") else None,
        "back_zh": card.back_zh if one in ("both", "zh") else None,
        "state": state.state if state else "new",
        "due": state.due.isoformat(timespec="seconds") if state else None,
        "reviews": reviews,
    }
