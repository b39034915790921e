"""The entry points for scripts and notebooks.

    >>> from ovnparse import api
    >>> for trace in api.parse("trace.txt"):
    ...     print(api.explain(trace).verdict)
"""

from __future__ import annotations

import io
import itertools
import os
import sys
from typing import IO, Iterable, Iterator

from .analysis.verdict import Explanation, explain
from .detect import detect
from .errors import InputError, Problem
from .lines import Block, open_lines, read_blocks
from .model import Trace
from .parsers import EMPTY_OK, PARSERS

__all__ = ["parse", "parse_text", "explain", "Explanation", "Trace", "InputError"]

_PEEK = 64  # lines read ahead to detect the format


def parse(path: str | os.PathLike, format: str | None = None) -> Iterator[Trace]:
    """Traces in a file ("-" for stdin), one at a time.

    Raises InputError when the file cannot be read or holds no known format.
    """
    source, stream = open_lines(os.fspath(path))
    try:
        yield from parse_stream(stream, source, format)
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


def parse_text(text: str, source: str = "<text>", format: str | None = None) -> list[Trace]:
    return list(parse_stream(io.StringIO(text), source, format))


def parse_stream(stream: IO | Iterable[str], source: str,
                 format: str | None = None) -> Iterator[Trace]:
    blocks = read_blocks(stream, source)
    head: list[Block] = []
    peek: list[str] = []
    for block in blocks:  # read ahead enough lines to tell the format
        head.append(block)
        peek.extend(block.lines[:_PEEK])
        if len(peek) >= _PEEK:
            break
    numbered = [(head[0].first + i, t) for i, t in enumerate(head[0].lines[:_PEEK])] if head else []
    first = next(((n, t) for n, t in numbered if t.strip()), None)
    if first is None and not any(t.strip() for t in peek) and format not in EMPTY_OK:
        raise InputError(Problem(source, len(peek), "no text",
                                 "the output of ovn-trace, ofproto/trace, ovn-detrace "
                                 "or ovnkube-trace"))
    name = format or detect(peek)
    if name is None:
        number, text = first if first else (1, "")
        raise InputError(Problem(source, number,
                                 f"not a known trace format: {text[:60]!r}",
                                 "the output of ovn-trace, ofproto/trace, ovn-detrace "
                                 "or ovnkube-trace"))
    if name not in PARSERS:
        raise InputError(Problem(source, 0, f"unknown format {name!r}",
                                 "one of " + ", ".join(sorted(PARSERS))))
    yield from PARSERS[name](itertools.chain(head, blocks), source)
