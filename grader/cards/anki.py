"""Export cards to an Anki package (.apkg) with genanki.

Stable identities make a re-export update what Anki already has instead of duplicating it:
the note GUID is `genanki.guid_for(card.id)`, the model id is a constant, and each deck id
is derived from the deck's name. One Anki deck per topic (a card's first tag), named
`drill::<topic>`. Card text becomes HTML: escaped, maths in MathJax delimiters
($...$ -> \\(...\\), $$...$$ -> \\[...\\]), code in <code>/<pre>, line breaks as <br>.
Left out: media, Markdown tables and lists (they stay readable as plain lines).

    >>> md_to_html("Scores $q\\\\cdot k<0$ and `list[int]`\\n\\n**Note** <b>")
    'Scores \\\\(q\\\\cdot k&lt;0\\\\) and <code>list[int]</code><br><br><b>Note</b> &lt;b&gt;'
"""
from __future__ import annotations

import hashlib
import html
import re
from pathlib import Path

from grader.cards.deck import Card
from grader.cards.text import card_back, card_front, card_lang, split_math
from grader.errors import DrillError

MODEL_ID = 1_718_204_573          # never change: Anki matches notes to this model by id
MODEL_NAME = "drill card (front/back)"
DECK_PREFIX = "drill::"
_ESCAPED_RE = re.compile(r"\\([!-/:-@\[-`{-~])")   # Markdown backslash escapes of ASCII punctuation
_BOLD_RE = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
CSS = """.card { font-family: -apple-system, "Segoe UI", "Noto Sans CJK SC", sans-serif; font-size: 18px;
  text-align: left; color: black; background-color: white; }
code, pre { font-family: Menlo, Consolas, monospace; font-size: 90%; background: #f3f3f3; }
pre { padding: .5em; white-space: pre-wrap; }
.lang-zh { margin-top: .8em; }
.source { margin-top: 1.5em; font-size: 70%; color: #888; }
"""


def deck_id(name: str) -> int:
    """A deck id from its name: same name, same id (in genanki's recommended range)."""
    h = int(hashlib.sha256(f"drill deck {name}".encode()).hexdigest()[:12], 16)
    return (1 << 30) + h % (1 << 30)


def md_to_html(md: str) -> str:
    """Minimal Markdown to Anki HTML (see the module docstring)."""
    out = []
    for seg in split_math(md):
        if seg.kind == "math":
            body = html.escape(seg.text, quote=False)
            out.append(f"\\[{body}\\]" if seg.display else f"\\({body}\\)")
        elif seg.kind == "code" and seg.display:
            lines = seg.text.rstrip("\n").split("\n")
            closed = len(lines) > 1 and lines[-1].strip().startswith(lines[0].strip()[:3])
            inner = "\n".join(lines[1:-1] if closed else lines[1:])
            out.append(f"<pre><code>{html.escape(inner, quote=False)}</code></pre>")
        elif seg.kind == "code":
            ticks = len(seg.text) - len(seg.text.lstrip("`"))
            inner = seg.text[ticks:-ticks]
            if inner.startswith(" ") and inner.endswith(" ") and inner.strip():
                inner = inner[1:-1]
            out.append(f"<code>{html.escape(inner, quote=False)}</code>")
        else:
            text = html.escape(_ESCAPED_RE.sub(r"\1", seg.text), quote=False)
            text = _BOLD_RE.sub(r"<b>\1</b>", text)
            out.append(text.replace("\n", "<br>"))
    return "".join(out).strip().removesuffix("<br>")


def _side(card: Card, lang: str, back: bool) -> str:
    pick = card_back if back else card_front
    if card_lang(card) != "both" or lang != "both":
        return md_to_html(pick(card, lang))
    return (f'<div class="lang-en">{md_to_html(pick(card, "en"))}</div>'
            f'<div class="lang-zh">{md_to_html(pick(card, "zh"))}</div>')


def _model():
    import genanki

    return genanki.Model(
        MODEL_ID, MODEL_NAME,
        fields=[{"name": "Front"}, {"name": "Back"}, {"name": "Source"}, {"name": "CardId"}],
        templates=[{"name": "Card 1", "qfmt": "{{Front}}",
                    "afmt": '{{FrontSide}}<hr id="answer">{{Back}}<div class="source">{{Source}} · {{CardId}}</div>'}],
        css=CSS)


def export_anki(cards: list[Card], out: Path, lang: str = "both") -> dict:
    """Write `cards` to an .apkg at `out`; return {"notes": n, "decks": {deck name: n}}."""
    import genanki

    if not cards:
        raise DrillError("no cards to export", hint="check --tag")
    out = Path(out)
    if out.suffix != ".apkg":
        raise DrillError(f"{out} does not end in .apkg", hint="Anki imports .apkg files: drill cards export --anki cards.apkg")
    model = _model()
    decks: dict[str, genanki.Deck] = {}
    for card in cards:
        name = DECK_PREFIX + card.topic
        if name not in decks:
            decks[name] = genanki.Deck(deck_id(name), name)
        decks[name].add_note(genanki.Note(
            model=model,
            fields=[_side(card, lang, back=False), _side(card, lang, back=True),
                    html.escape("; ".join(card.sources), quote=False), html.escape(card.id, quote=False)],
            tags=["drill"] + [re.sub(r"\s+", "_", t) for t in card.tags],
            guid=genanki.guid_for(card.id)))
    out.parent.mkdir(parents=True, exist_ok=True)
    genanki.Package(list(decks.values())).write_to_file(str(out))
    return {"notes": len(cards), "decks": {n: len(d.notes) for n, d in sorted(decks.items())}}
