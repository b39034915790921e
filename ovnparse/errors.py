"""Errors as values that point back to the source text, the one exception tree,
and the exit statuses.

A parser never raises on bad text it can step over: it records a `Problem`
and goes on.  Every exception ovnparse raises on purpose is an
`OvnparseError`; `cli.main` alone turns one into a message and an exit status
(`ExitStatus`, `status_of`):

  InputError     2  the text (or the command line) cannot be read as asked
  DatabaseError  3  a database file or server could not be read: missing,
                    damaged, the wrong schema, unreachable, too slow, malformed

A run over several inputs goes on after one fails and ends with
`worst_status` of what it met.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum


class ExitStatus(IntEnum):
    """`ovnparse`'s exit statuses (README, "Exit statuses").  A stable contract:
    scripts test these numbers."""

    OK = 0  # done
    MISMATCH = 1  # a verdict did not match --expect; compare/diff found a difference
    BAD_INPUT = 2  # the input or the command line was wrong
    DATABASE = 3  # a database could not be read (file or server)
    INTERNAL = 4  # a bug in ovnparse (one line; --debug for the traceback)
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)
    TERMINATED = 143  # SIGTERM (128 + SIGTERM)


def worst_status(statuses: Iterable[int]) -> int:
    """The status a run over several inputs ends with: the highest met
    (4 > 3 > 2 > 1 > 0; an interruption, 130 or 143, above all), 0 for none."""
    return max(statuses, default=ExitStatus.OK)


def status_of(exc: BaseException) -> ExitStatus:
    """The exit status an exception that ended a run (or one input of it) stands for."""
    if isinstance(exc, OvnparseError):
        return ExitStatus(exc.exit_status)
    if isinstance(exc, KeyboardInterrupt):
        return ExitStatus.INTERRUPTED
    if type(exc).__name__ == "Terminated":  # (cli.Terminated: SIGTERM, unwinding)
        return ExitStatus.TERMINATED
    return ExitStatus.INTERNAL


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
