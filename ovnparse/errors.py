"""Errors as values that point back to the source text, and the one exception tree.

A parser never raises on bad text it can step over: it records a `Problem`
and goes on.  Every exception ovnparse raises on purpose is an
`OvnparseError`; `cli.main` alone turns one into a message and an exit status:

  InputError     2  the text (or the command line) cannot be read as asked
  DatabaseError  3  a database file or server could not be read: missing,
                    damaged, the wrong schema, unreachable, too slow, malformed
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


class OvnparseError(Exception):
    """The base of every error ovnparse raises on purpose."""

    exit_status = 2


class InputError(OvnparseError):
    """The input as a whole cannot be parsed."""

    exit_status = 2

    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


class DatabaseError(OvnparseError):
    """A database (saved file or live server) could not be read.

    `source` names the file or remote; the message says what was wrong, in
    one line.
    """

    exit_status = 3

    def __init__(self, source: str, message: str):
        super().__init__(f"{source}: {message}")
        self.source = source
        self.message = message
