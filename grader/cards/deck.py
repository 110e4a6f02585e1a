"""Parse flashcard decks: Markdown files, one card per `## id` block.

A card looks like this (the format is documented in docs/cards.md):

    ## attention-why-sqrt-dk
    tags: attention, scaling
    difficulty: 2
    source: 002_06fbeff3556675ca.txt § 为什么要除以根号dk
    kind: fact

    Q: Why are attention scores divided by $\\sqrt{d_k}$?
    A: ...English answer, any Markdown, several paragraphs...
    问: ...
    答: ...

Only the standard library is used here: card review must start instantly.
Left out: nested decks and media; a card is text and maths only.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

KINDS = ("fact", "misconception")
META_KEYS = ("tags", "difficulty", "source", "kind")
# section markers at the start of a line: English and Chinese fronts and backs
_MARKERS = {"Q": "front_en", "A": "back_en", "问": "front_zh", "答": "back_zh"}
_MARKER_RE = re.compile(r"^(Q|A|问|答)\s*[:：]\s?(.*)$")
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_FENCE_RE = re.compile(r"^\s*(```|~~~)")


class DeckError(ValueError):
    """A deck file that cannot be read as cards; the message names file and line."""


@dataclass(frozen=True)
class Card:
    id: str
    front_en: str
    back_en: str
    front_zh: str
    back_zh: str
    tags: tuple[str, ...]
    difficulty: int
    sources: tuple[str, ...]
    kind: str = "fact"
    deck: str = ""
    path: str = ""
    line: int = 0

    def front(self, lang: str) -> str:
        return _pick(self.front_en, self.front_zh, lang)

    def back(self, lang: str) -> str:
        return _pick(self.back_en, self.back_zh, lang)

    @property
    def content_hash(self) -> str:
        """Changes when the card's text changes (not used for scheduling identity)."""
        text = "\x00".join((self.front_en, self.back_en, self.front_zh, self.back_zh))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @property
    def topic(self) -> str:
        return self.tags[0] if self.tags else self.deck


def _pick(en: str, zh: str, lang: str) -> str:
    if lang == "en":
        return en
    if lang == "zh":
        return zh
    return f"{en}\n\n{zh}"


@dataclass
class _Draft:
    id: str
    line: int
    meta: dict[str, str] = field(default_factory=dict)
    parts: dict[str, list[str]] = field(default_factory=dict)


def headings_outside_code(text: str) -> list[str]:
    """Markdown ATX headings of a text, skipping fenced code blocks.

    >>> headings_outside_code("# A\\n```\\n# not one\\n```\\n## B ##\\n")
    ['A', 'B']
    """
    out, fenced = [], False
    for line in text.splitlines():
        if _FENCE_RE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            m = re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line)
            if m and m.group(2):
                out.append(m.group(2).strip())
    return out


def parse_deck(text: str, path: str = "<string>", deck: str = "") -> list[Card]:
    """Parse one deck file's text into cards; raise DeckError with file:line on bad input."""
    drafts: list[_Draft] = []
    current: _Draft | None = None
    section: str | None = None
    fenced = False
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if _FENCE_RE.match(line):
            fenced = not fenced
        if not fenced and line.startswith("## "):
            card_id = line[3:].strip()
            if not _ID_RE.match(card_id):
                raise DeckError(f"{path}:{lineno}: card id {card_id!r} must be lower-case letters, digits, '.', '_' or '-'")
            current, section = _Draft(card_id, lineno), None
            drafts.append(current)
            continue
        if current is None:
            continue  # deck title and introduction
        m = None if fenced else _MARKER_RE.match(line)
        if m:
            section = _MARKERS[m.group(1)]
            if section in current.parts:
                raise DeckError(f"{path}:{lineno}: card {current.id!r} has two '{m.group(1)}:' sections")
            current.parts[section] = [m.group(2)]
            continue
        if section is None:
            km = re.match(r"^([a-z]+)\s*:\s*(.*)$", line)
            if km and km.group(1) in META_KEYS:
                current.meta[km.group(1)] = km.group(2).strip()
            elif line.strip():
                raise DeckError(f"{path}:{lineno}: unexpected line before 'Q:' in card {current.id!r}: {line!r}")
            continue
        current.parts[section].append(raw)
    return [_finish(d, path, deck) for d in drafts]


def _finish(d: _Draft, path: str, deck: str) -> Card:
    where = f"{path}:{d.line}: card {d.id!r}"
    texts = {}
    for key in _MARKERS.values():
        body = "\n".join(d.parts.get(key, [])).strip()
        if not body:
            raise DeckError(f"{where} has no {key.replace('_', ' ')} (need Q:, A:, 问:, 答:)")
        texts[key] = body
    for key in ("tags", "difficulty", "source"):
        if not d.meta.get(key):
            raise DeckError(f"{where} has no '{key}:' line")
    try:
        difficulty = int(d.meta["difficulty"])
    except ValueError:
        raise DeckError(f"{where}: difficulty must be 1, 2 or 3") from None
    if difficulty not in (1, 2, 3):
        raise DeckError(f"{where}: difficulty must be 1, 2 or 3")
    kind = d.meta.get("kind", "fact")
    if kind not in KINDS:
        raise DeckError(f"{where}: kind must be one of {', '.join(KINDS)}")
    tags = tuple(t.strip() for t in d.meta["tags"].split(",") if t.strip())
    sources = tuple(s.strip() for s in d.meta["source"].split(";") if s.strip())
    return Card(id=d.id, tags=tags, difficulty=difficulty, sources=sources, kind=kind,
                deck=deck, path=path, line=d.line, **texts)


def load_deck_dir(folder: Path) -> list[Card]:
    """All cards of every *.md file in a folder, in file then card order; ids must be unique."""
    cards: list[Card] = []
    seen: dict[str, str] = {}
    for f in sorted(Path(folder).glob("*.md")):
        if f.name.lower() == "readme.md":
            continue
        for card in parse_deck(f.read_text(encoding="utf-8"), path=str(f), deck=f.stem):
            if card.id in seen:
                raise DeckError(f"{f}:{card.line}: card id {card.id!r} is already used in {seen[card.id]}")
            seen[card.id] = str(f)
            cards.append(card)
    return cards
