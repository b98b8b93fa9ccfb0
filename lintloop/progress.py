"""Progress on a terminal: ``lintloop: 1200/2912 files`` on stderr, redrawn in place.

Only a long run on an interactive terminal shows it: nothing is written when
stderr is not a TTY (CI logs, pre-commit, pipes), nothing before ``delay``
seconds have passed, and the line is erased when the work is done, so the
report on stdout reads the same either way.
"""

from __future__ import annotations

import sys
import time
from typing import Optional, TextIO


class Progress:
    """Counts files done out of a total and redraws at most ``rate`` times a second."""

    def __init__(self, stream: Optional[TextIO] = None, delay: float = 0.5, rate: float = 10.0,
                 force: bool = False) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = force or _is_terminal(self.stream)
        self.delay = delay
        self.interval = 1.0 / rate
        self.total = 0
        self.done = 0
        self._started = 0.0
        self._drawn_at = 0.0
        self._shown = False

    def begin(self, total: int) -> "Progress":
        self.total, self.done = total, 0
        self._started = time.monotonic()
        return self

    def advance(self, count: int = 1) -> None:
        self.done += count
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._started < self.delay or now - self._drawn_at < self.interval:
            return
        self._drawn_at = now
        self._write(f"\rlintloop: {self.done}/{self.total} files")
        self._shown = True

    def end(self) -> None:
        """Erase the progress line, if one was drawn."""
        if self._shown:
            self._write("\r\x1b[K")
            self._shown = False

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            self.enabled = False


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False
