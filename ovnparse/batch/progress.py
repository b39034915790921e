"""A progress bar on a terminal: inputs done, traces, verdicts so far.

Shown on stderr only when it is a terminal, and only once a run has taken
about a second (tqdm's `delay`); silent when piped, with --no-progress or
--quiet.  Without tqdm installed, there is none.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from typing import Any


class Progress:
    def __init__(self, enabled: bool = True, stream: Any = None):
        stream = stream if stream is not None else sys.stderr
        self.bar: Any = None
        self.verdicts: Counter = Counter()
        self.last = ""
        self.shown = 0.0
        if enabled and getattr(stream, "isatty", lambda: False)():
            try:
                from tqdm import tqdm
            except ImportError:
                return
            self.bar = tqdm(file=stream, unit=" traces", delay=1.0, leave=False,
                            dynamic_ncols=True)

    def update(self, record: dict) -> None:
        if self.bar is None:
            return
        src = record.get("source") or {}
        self.verdicts[record.get("verdict") or "unread"] += 1
        self.bar.update(1)
        now = time.monotonic()
        if now - self.shown > 0.25:  # (postfix text is costly: four times a second)
            self.shown = now
            self.bar.set_postfix_str(
                " ".join(f"{k} {v}" for k, v in sorted(self.verdicts.items()))
                + f" | {src.get('file', '')}", refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
