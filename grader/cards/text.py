"""Card text helpers shared by the terminal renderer and the Anki export.

`split_math` cuts Markdown into plain text, code and maths, so that maths can be shown
literally in the terminal and wrapped in MathJax delimiters for Anki, and code is never
touched by either. Left out: LaTeX environments outside `$...$` / `$$...$$`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from grader.cards.deck import Card

_FENCE_RE = re.compile(r"^\s*(```+|~~~+)")
_CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True)
class Segment:
    kind: str          # "text" | "code" (inline span or fenced block, delimiters included) | "math"
    text: str          # for maths: the inside, without the dollars
    display: bool = False  # maths between $$...$$; a fenced code block


def split_math(md: str) -> list[Segment]:
    """Split Markdown into text, code and maths segments (pandoc's rules for `$`).

    >>> [(s.kind, s.text) for s in split_math("cost $5, see $\\\\sqrt{d}$ and `a$b$`")]
    [('text', 'cost $5, see '), ('math', '\\\\sqrt{d}'), ('text', ' and '), ('code', '`a$b$`')]
    """
    out: list[Segment] = []
    chunk: list[str] = []   # lines outside fences, scanned together ($$ may span lines)
    fence: list[str] = []
    fence_mark = ""
    for line in md.splitlines(keepends=True):
        m = _FENCE_RE.match(line)
        if fence_mark:
            fence.append(line)
            if m and m.group(1)[0] == fence_mark[0] and len(m.group(1)) >= len(fence_mark):
                out.append(Segment("code", "".join(fence), display=True))
                fence, fence_mark = [], ""
        elif m:
            out.extend(_scan("".join(chunk)))
            chunk, fence, fence_mark = [], [line], m.group(1)
        else:
            chunk.append(line)
    if fence:  # an unclosed fence runs to the end, as in CommonMark
        out.append(Segment("code", "".join(fence), display=True))
    out.extend(_scan("".join(chunk)))
    return _merge([s for s in out if s.text or s.kind == "math"])


def _scan(s: str) -> list[Segment]:
    out: list[Segment] = []
    buf: list[str] = []
    i, n = 0, len(s)

    def flush() -> None:
        if buf:
            out.append(Segment("text", "".join(buf)))
            buf.clear()

    while i < n:
        ch = s[i]
        if ch == "\\" and i + 1 < n:          # an escaped character stays text (\$ is a dollar)
            buf.append(s[i:i + 2])
            i += 2
            continue
        if ch == "`":
            run = len(s[i:]) - len(s[i:].lstrip("`"))
            end = s.find("`" * run, i + run)
            while end != -1 and end + run < n and s[end + run] == "`":
                end = s.find("`" * run, end + run + 1)
            if end != -1:
                flush()
                out.append(Segment("code", s[i:end + run]))
                i = end + run
                continue
            buf.append(s[i:i + run])
            i += run
            continue
        if ch == "$":
            if s.startswith("$$", i):
                end = s.find("$$", i + 2)
                if end != -1 and s[i + 2:end].strip():
                    flush()
                    out.append(Segment("math", s[i + 2:end].strip(), display=True))
                    i = end + 2
                    continue
            else:
                end = _inline_math_end(s, i)
                if end != -1:
                    flush()
                    out.append(Segment("math", s[i + 1:end]))
                    i = end + 1
                    continue
        buf.append(ch)
        i += 1
    flush()
    return out


def _inline_math_end(s: str, i: int) -> int:
    """Index of the `$` closing inline maths opened at s[i], or -1 (then it is a plain dollar)."""
    if i + 1 >= len(s) or s[i + 1].isspace() or s[i + 1] == "$":
        return -1
    j = i + 1
    while j < len(s):
        if s[j] == "\\":
            j += 2
            continue
        if s.startswith("\n\n", j):
            return -1                      # maths never spans a blank line
        if s[j] == "$":
            if not s[j - 1].isspace() and not (j + 1 < len(s) and s[j + 1].isdigit()):
                return j
            return -1                      # the next dollar cannot close: this one is plain text
        j += 1
    return -1


def _merge(segs: list[Segment]) -> list[Segment]:
    out: list[Segment] = []
    for s in segs:
        if out and s.kind == "text" and out[-1].kind == "text":
            out[-1] = Segment("text", out[-1].text + s.text)
        else:
            out.append(s)
    return out


# -- languages -------------------------------------------------------------------------------
def detect_lang(text: str) -> str:
    """'zh' when the text holds CJK characters, else 'en'."""
    return "zh" if _CJK_RE.search(text) else "en"


def card_lang(card: Card) -> str:
    """'both' for a bilingual card; 'en' or 'zh' for a one-language (imported) card.

    Imported cards carry the same text in their English and Chinese fields.
    """
    if card.front_en == card.front_zh and card.back_en == card.back_zh:
        return detect_lang(card.front_en + card.back_en)
    return "both"


def card_front(card: Card, lang: str) -> str:
    """The front in `lang` ('en', 'zh' or 'both'); a one-language card shows its only text."""
    return card.front_en if card_lang(card) != "both" else card.front(lang)


def card_back(card: Card, lang: str) -> str:
    return card.back_en if card_lang(card) != "both" else card.back(lang)
