"""Single key presses from the terminal, without Enter (cbreak mode), with a timeout.

`key_reader()` is a context manager yielding `read(timeout) -> str | None`. On a tty it
switches to cbreak mode and restores the terminal on exit, whatever happens. Without a
tty (a pipe, CI) it reads whole lines instead, so sessions can still be scripted.
Ctrl-C stays a signal (KeyboardInterrupt); Ctrl-D / EOF reads as "q".
"""
from __future__ import annotations

import os
import select
import sys
from contextlib import contextmanager
from typing import Callable, Iterator


@contextmanager
def key_reader(stream=None) -> Iterator[Callable[[float], str | None]]:
    stream = stream or sys.stdin
    try:
        fd = stream.fileno()
    except (AttributeError, ValueError, OSError):
        yield lambda timeout: None
        return
    if not os.isatty(fd):
        def read_line(timeout: float) -> str | None:
            ready, _, _ = select.select([fd], [], [], timeout)
            if not ready:
                return None
            line = stream.readline()
            if line == "":
                return "q"
            return line.strip()[:1] or "\n"
        yield read_line
        return
    import termios
    import tty

    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)

        def read_key(timeout: float) -> str | None:
            ready, _, _ = select.select([fd], [], [], timeout)
            if not ready:
                return None
            ch = os.read(fd, 1).decode("utf-8", "replace")
            if ch == "\x04" or ch == "":
                return "q"
            if ch == "\x1b":  # swallow the rest of an escape sequence (arrow keys...)
                while select.select([fd], [], [], 0.01)[0]:
                    os.read(fd, 8)
                return None
            return ch
        yield read_key
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
