"""A progress bar on a terminal: inputs done, traces, verdicts so far.

Shown on stderr only when it is a terminal, and only once a run has taken
about a second; silent when piped, with --no-progress or
--quiet.  Without tqdm installed, there is none.
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from typing import Any


class Progress:
    DELAY = 1.0  # seconds before the bar shows (a short run prints nothing)
    EVERY = 0.25  # seconds between redraws

    def __init__(self, enabled: bool = True, stream: Any = None):
        self.stream = stream if stream is not None else sys.stderr
        self.bar: Any = None
        self.verdicts: Counter = Counter()
        self.n = 0
        self.start = self.shown = time.monotonic()
        self.enabled = enabled and getattr(self.stream, "isatty", lambda: False)()

    def update(self, record: dict) -> None:
        if not self.enabled:
            return
        self.n += 1
        self.verdicts[record.get("verdict") or "unread"] += 1
        now = time.monotonic()
        if now - self.shown < self.EVERY:
            return
        self.shown = now
        if self.bar is None:
            if now - self.start < self.DELAY:
                return
            try:
                from tqdm import tqdm
            except ImportError:
                self.enabled = False
                return
            self.bar = tqdm(file=self.stream, unit=" traces", leave=False,
                            ncols=_size(self.stream)[0], nrows=_size(self.stream)[1],
                            mininterval=0.25)
        src = record.get("source") or {}
        self.bar.update(self.n - self.bar.n)
        self.bar.set_postfix_str(" ".join(f"{k} {v}" for k, v in sorted(self.verdicts.items()))
                                 + f" | {src.get('file', '')}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _size(stream: Any) -> tuple[int, int]:
    """The terminal's (columns, lines); (100, 24) where it says 0, as a fresh pty does
    (tqdm draws nothing on a terminal of 0 lines)."""
    try:
        size = os.get_terminal_size(stream.fileno())
    except (OSError, ValueError, AttributeError):
        return 100, 24
    return size.columns or 100, size.lines or 24
