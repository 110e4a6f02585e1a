"""Read one key press for the review loop: raw single keys on a terminal, lines otherwise.

On a TTY the terminal is put in raw mode for exactly one read, so Ctrl-C arrives as
'\\x03' and Ctrl-D as '\\x04'. When stdin is not a TTY (a script, a pipe), one line is one
key: its first character, an empty line is Enter, and the words show / again / hard /
good / easy / undo / quit also work. End of input returns ''.
"""
from __future__ import annotations

import os
import select
import sys
from typing import TextIO

EOF = ""
_WORDS = {"show": "\n", "again": "1", "hard": "2", "good": "3", "easy": "4", "undo": "u", "quit": "q"}


def read_key(stream: TextIO | None = None) -> str:
    stream = stream or sys.stdin
    if stream.isatty():
        return _read_tty_key(stream.fileno())
    line = stream.readline()
    if not line:
        return EOF
    word = line.strip().lower()
    if not word:
        return "\n"
    return _WORDS.get(word, word[0])


def _read_tty_key(fd: int) -> str:
    import termios
    import tty

    old = termios.tcgetattr(fd)
    try:
        tty.setraw(fd, termios.TCSANOW)   # TCSANOW: keep keys typed ahead
        first = os.read(fd, 1)
        if not first:
            return EOF
        if first == b"\x1b":               # an escape sequence (arrow keys...): swallow it
            while select.select([fd], [], [], 0.03)[0]:
                os.read(fd, 16)
            return "\x1b"
        lead = first[0]                     # a UTF-8 lead byte says how many bytes follow
        need = 3 if lead >= 0xF0 else 2 if lead >= 0xE0 else 1 if lead >= 0xC0 else 0
        data = first + (os.read(fd, need) if need else b"")
        return data.decode("utf-8", errors="replace")
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, old)
