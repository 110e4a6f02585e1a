"""Single key presses from the terminal, without Enter.

Two ways to read, one set of rules:
- `read_key()`: block for one key (card review). Raw mode for exactly that read, so
  Ctrl-C arrives as '\\x03' and Ctrl-D as '\\x04'.
- `key_reader()`: a context manager yielding `read(timeout) -> str | None` for loops that
  also wait on something else (watch, mock). Cbreak mode for the whole loop; Ctrl-C stays
  a signal (KeyboardInterrupt); Ctrl-D reads as "q".
Both restore the terminal whatever happens. Without a tty (a pipe, a script, CI) one
line is one key: its first character, an empty line is Enter, and the words show / again
/ hard / good / easy / undo / quit also work; end of input reads as "" (read_key) or "q".
"""
from __future__ import annotations

import os
import select
import sys
from contextlib import contextmanager
from typing import Callable, Iterator, TextIO

EOF = ""
WORDS = {"show": "\n", "again": "1", "hard": "2", "good": "3", "easy": "4", "undo": "u", "quit": "q"}


def _line_to_key(line: str) -> str:
    if not line:
        return EOF
    word = line.strip().lower()
    if not word:
        return "\n"
    return WORDS.get(word, word[0])


def _read_tty(fd: int) -> str:
    """One key from a terminal already in raw/cbreak mode (UTF-8 aware; escape sequences swallowed)."""
    first = os.read(fd, 1)
    if not first:
        return EOF
    if first == b"\x1b":  # an escape sequence (arrow keys...): swallow it
        while select.select([fd], [], [], 0.03)[0]:
            os.read(fd, 16)
        return "\x1b"
    lead = first[0]  # a UTF-8 lead byte says how many bytes follow
    need = 3 if lead >= 0xF0 else 2 if lead >= 0xE0 else 1 if lead >= 0xC0 else 0
    return (first + (os.read(fd, need) if need else b"")).decode("utf-8", errors="replace")


def read_key(stream: TextIO | None = None) -> str:
    """Block for one key press (one line when not a terminal)."""
    stream = stream or sys.stdin
    if not stream.isatty():
        return _line_to_key(stream.readline())
    import termios
    import tty

    fd = stream.fileno()
    old = termios.tcgetattr(fd)
    try:
        tty.setraw(fd, termios.TCSANOW)  # TCSANOW: keep keys typed ahead
        return _read_tty(fd)
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, old)


@contextmanager
def key_reader(stream=None) -> Iterator[Callable[[float], str | None]]:
    """Yield `read(timeout)`: a key, or None when none came within `timeout` seconds."""
    stream = stream or sys.stdin
    try:
        fd = stream.fileno()
    except (AttributeError, ValueError, OSError):
        yield lambda timeout: None
        return
    if not os.isatty(fd):
        def read_line(timeout: float) -> str | None:
            if not select.select([fd], [], [], timeout)[0]:
                return None
            key = _line_to_key(stream.readline())
            return "q" if key == EOF else key
        yield read_line
        return
    import termios
    import tty

    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd, termios.TCSANOW)

        def read_cbreak(timeout: float) -> str | None:
            if not select.select([fd], [], [], timeout)[0]:
                return None
            key = _read_tty(fd)
            if key in (EOF, "\x04"):
                return "q"
            return None if key == "\x1b" else key
        yield read_cbreak
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
