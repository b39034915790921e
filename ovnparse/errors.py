"""Problems found in input, as values that point back to the source text.

A parser never raises on bad text it can step over: it records a `Problem`
and goes on.  `InputError` is raised only when nothing useful can be made of
the input (empty, binary, no known format); the CLI turns it into one line
and a non-zero exit status.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """Something in the input a parser could not read as expected."""

    source: str  # file name as given, or "<stdin>"
    line: int  # 1-based line number in the original file (0: no line)
    message: str  # what was wrong
    expected: str | None = None  # what the parser expected there

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        text = f"{where}: {self.message}"
        if self.expected:
            text += f" (expected {self.expected})"
        return text

    def to_dict(self) -> dict:
        return {"source": self.source, "line": self.line,
                "message": self.message, "expected": self.expected}


class InputError(Exception):
    """The input as a whole cannot be parsed."""

    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem
