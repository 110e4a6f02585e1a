"""Turn a user's own Markdown notes into cards: question headings become fronts.

A heading is a question when it ends in `?` or `？`, starts with why / how / what / when /
which / where / who (any case, after an optional "1." or "Q:" numbering), or holds a
Chinese question word (为什么, 为何, 如何, 什么, 怎么, 怎样, 哪些, 哪个, 是否: Chinese puts
them mid-sentence, as in "Layer Normalization 怎么计算"). The section body, up to the next
heading of the same or a higher level, is the back.

Ids are `imp.<deck>.<hash>`, the hash taken over the deck name and the normalised heading,
so editing a body (or the heading's case, spacing or final `?`) keeps the id and with it the
schedule. An imported card has one language: its text fills both the English and the Chinese
fields (see grader.cards.text.card_lang). Left out: setext (underlined) headings.

    >>> is_question("为什么要除以根号dk？"), is_question("How it works"), is_question("However")
    (True, True, False)
"""
from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from grader.cards.deck import Card
from grader.cards.text import detect_lang
from grader.errors import DrillError

_HEADING_RE = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE_RE = re.compile(r"^\s*(```|~~~)")
_EN_QUESTION_RE = re.compile(r"^(why|how|what|when|which|where|who)\b", re.IGNORECASE)
_ZH_QUESTION_WORDS = ("为什么", "为何", "如何", "什么", "怎么", "怎样", "哪些", "哪个", "是否")
# leading numbering and labels people put on interview questions: "1.", "(2)", "Q3:", "问题:"
_NUMBERING_RE = re.compile(r"^\s*(?:\d+\s*[.)、:：]|[(（]\d+[)）]|q\d*\s*[:：.]|问题?\s*\d*\s*[:：]|高频\s*[:：])\s*",
                           re.IGNORECASE)
_MARKUP_RE = re.compile(r"[*_`]+")


@dataclass(frozen=True)
class Section:
    heading: str
    level: int
    line: int
    body: str


@dataclass
class ImportReport:
    deck: str
    path: str
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)       # cards whose heading left the file
    empty: list[str] = field(default_factory=list)         # question headings with no body
    fronts: dict[str, str] = field(default_factory=dict)   # id -> heading, in file order
    dry_run: bool = False

    @property
    def ids(self) -> list[str]:
        return self.added + self.updated + self.unchanged


def is_question(heading: str) -> bool:
    h = _NUMBERING_RE.sub("", _MARKUP_RE.sub("", heading)).strip()
    if h.endswith(("?", "？")):
        return True
    return bool(_EN_QUESTION_RE.match(h)) or any(w in h for w in _ZH_QUESTION_WORDS)


def sections(text: str) -> list[Section]:
    """Every ATX heading outside code fences with its body (to the next heading of level <= its own)."""
    lines = text.splitlines()
    start = 0
    if lines and lines[0].strip() == "---":           # YAML front matter
        for k in range(1, len(lines)):
            if lines[k].strip() in ("---", "..."):
                start = k + 1
                break
    heads: list[tuple[int, int, str]] = []             # (line index, level, text)
    fenced = False
    for k in range(start, len(lines)):
        if _FENCE_RE.match(lines[k]):
            fenced = not fenced
            continue
        m = None if fenced else _HEADING_RE.match(lines[k])
        if m and m.group(2):
            heads.append((k, len(m.group(1)), m.group(2).strip()))
    out = []
    for n, (k, level, heading) in enumerate(heads):
        end = next((j for j, lv, _ in heads[n + 1:] if lv <= level), len(lines))
        out.append(Section(heading, level, k + 1, "\n".join(lines[k + 1:end]).strip()))
    return out


def normalise_heading(heading: str) -> str:
    """The part of a heading that names the card: case, spacing, markup and final ?/: ignored.

    >>> normalise_heading("  **Why**  divide by   √d？ ")
    'why divide by √d'
    """
    h = unicodedata.normalize("NFKC", _MARKUP_RE.sub("", heading))
    return " ".join(h.split()).lower().rstrip("?:.!。 ")


def deck_slug(deck: str) -> str:
    slug = re.sub(r"[^a-z0-9_-]+", "-", unicodedata.normalize("NFKC", deck).lower()).strip("-_")
    return slug[:40] or "notes"


def imported_id(deck: str, heading: str, occurrence: int = 1) -> str:
    """Stable id from the deck name and the normalised heading (the 2nd same heading gets '-2')."""
    key = f"{normalise_heading(deck)}\n{normalise_heading(heading)}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return f"imp.{deck_slug(deck)}.{digest}" + (f"-{occurrence}" if occurrence > 1 else "")


def cards_from_text(text: str, deck: str, source_name: str) -> tuple[list[dict], list[str]]:
    """(card records, question headings skipped for an empty body) for one notes file."""
    records, empty, seen = [], [], {}
    for sec in sections(text):
        if not is_question(sec.heading):
            continue
        if not sec.body:
            empty.append(sec.heading)
            continue
        norm = normalise_heading(sec.heading)
        seen[norm] = seen.get(norm, 0) + 1
        records.append({
            "id": imported_id(deck, sec.heading, seen[norm]),
            "deck": deck,
            "front": sec.heading,
            "back": sec.body,
            "lang": detect_lang(sec.heading + sec.body),
            "tags": [deck_slug(deck), "imported"],
            "source": f"{source_name} § {sec.heading}",
            "line": sec.line,
        })
    return records, empty


def import_notes(store, path: Path, deck: str | None = None, now: str | None = None,
                 dry_run: bool = False) -> ImportReport:
    """Import (or re-import) one notes file into the store; one transaction, idempotent.

    With dry_run, report what would change and write nothing.
    """
    from grader.store import utcnow

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DrillError(f"no such notes file: {path}", hint="give the path of a Markdown file") from None
    except (UnicodeDecodeError, IsADirectoryError) as e:
        raise DrillError(f"cannot read {path} as UTF-8 text ({e.__class__.__name__})") from None
    deck = (deck or path.stem).strip()
    if not deck:
        raise DrillError("the deck name is empty", hint="pass --deck NAME")
    source_path = str(path.resolve())
    records, empty = cards_from_text(text, deck, path.name)
    report = ImportReport(deck=deck, path=source_path, empty=empty, dry_run=dry_run,
                          fronts={r["id"]: r["front"] for r in records})
    now = now or utcnow()
    with store.tx() as c:
        old = {r["card_id"]: r["card_json"] for r in c.execute(
            "SELECT card_id, card_json FROM imported_cards WHERE deck=? AND source_path=?", (deck, source_path))}
        for rec in records:
            blob = json.dumps(rec, ensure_ascii=False, sort_keys=True)
            prev = old.pop(rec["id"], None)
            if prev is None:
                prev_row = c.execute("SELECT card_json FROM imported_cards WHERE card_id=?", (rec["id"],)).fetchone()
                prev = prev_row["card_json"] if prev_row else None
                (report.updated if prev is not None else report.added).append(rec["id"])
            elif _same_card(prev, blob):
                report.unchanged.append(rec["id"])
                continue
            else:
                report.updated.append(rec["id"])
            if dry_run:
                continue
            c.execute("INSERT INTO imported_cards(card_id, deck, source_path, card_json, updated_at) VALUES (?,?,?,?,?) "
                      "ON CONFLICT(card_id) DO UPDATE SET deck=excluded.deck, source_path=excluded.source_path, "
                      "card_json=excluded.card_json, updated_at=excluded.updated_at",
                      (rec["id"], deck, source_path, blob, now))
        for card_id in old:  # headings gone from the file; their review history stays in the store
            if not dry_run:
                c.execute("DELETE FROM imported_cards WHERE card_id=?", (card_id,))
            report.removed.append(card_id)
    return report


def _same_card(a: str, b: str) -> bool:
    """Equal apart from the heading's line number (moving a section is not an edit)."""
    ja, jb = json.loads(a), json.loads(b)
    ja.pop("line", None), jb.pop("line", None)
    return ja == jb


def card_from_record(rec: dict, source_path: str = "") -> Card:
    return Card(id=rec["id"], front_en=rec["front"], back_en=rec["back"], front_zh=rec["front"],
                back_zh=rec["back"], tags=tuple(rec["tags"]), difficulty=2, sources=(rec["source"],),
                kind="fact", deck=rec["deck"], path=source_path, line=int(rec.get("line", 0)))


def imported_cards(store) -> list[Card]:
    """Every imported card in the store, by deck then position in its file."""
    rows = store.conn.execute("SELECT card_json, source_path FROM imported_cards").fetchall()
    cards = [card_from_record(json.loads(r["card_json"]), r["source_path"]) for r in rows]
    return sorted(cards, key=lambda c: (c.deck, c.path, c.line, c.id))
