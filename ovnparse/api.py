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
from .detect import OFPROTO, OVN_TRACE, detect, family, openflow_kind, switches
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
    klog = False
    for block in blocks:  # read ahead enough lines to tell the format
        head.append(block)
        peek.extend(block.lines[:_PEEK])
        klog = klog or bool(block.klog)
        if len(peek) >= _PEEK:
            break
    numbered = [(head[0].first + i, t) for i, t in enumerate(head[0].lines[:_PEEK])] if head else []
    first = next(((n, t) for n, t in numbered if t.strip()), None)
    if first is None and not any(t.strip() for t in peek) and format not in EMPTY_OK:
        raise InputError(Problem(source, len(peek), "no text", _EXPECTED))
    name = format or detect(peek, klog)
    if name is None:
        number, text = first if first else (1, "")
        raise InputError(Problem(source, number,
                                 f"not a known trace format: {text[:60]!r}", _EXPECTED))
    _check_parser(name, source)
    blocks = itertools.chain(head, blocks)
    if format or family(name) not in (OVN_TRACE, OFPROTO):
        # Forced, or a wrapper (ovnkube-trace) that splits its own parts.
        yield from PARSERS[name](blocks, source)
    else:
        yield from _mixture(blocks, source, name)


_EXPECTED = "the output of ovn-trace, ofproto/trace, ovn-detrace or ovnkube-trace"


def _check_parser(name: str, source: str) -> None:
    if name not in PARSERS:
        raise InputError(Problem(source, 0, f"no parser for {name!r} output",
                                 "one of " + ", ".join(sorted(PARSERS))))


def _mixture(blocks: Iterator[Block], source: str, name: str) -> Iterator[Trace]:
    """Hand each part of a file to its parser, where one tool's output follows
    another's (ovn-trace, then ofproto/trace of the same packet...)."""
    pieces = _pieces(blocks, family(name))
    current = next(pieces, None)
    first = True
    while current is not None:
        part_id, fam, block = current
        parser = name if first else (
            OVN_TRACE if fam == OVN_TRACE else openflow_kind(block.lines))
        first = False
        _check_parser(parser, source)

        def run() -> Iterator[Block]:
            nonlocal current
            while current is not None and current[0] == part_id:
                piece = current[2]
                current = next(pieces, None)
                yield piece

        part = run()
        yield from PARSERS[parser](part, source)
        for _ in part:  # whatever the parser left unread of its part
            pass


def _pieces(blocks: Iterable[Block], fam: str) -> Iterator[tuple[int, str, Block]]:
    """(part number, family, block) with blocks cut where another output starts."""
    after_recirc_header = False
    part = 0
    part_has_lines = False
    for block in blocks:
        cuts = switches(block.lines, fam, after_recirc_header)
        prev = 0
        for index, new in cuts:
            if index > prev:
                yield part, fam, Block(block.first + prev, block.lines[prev:index], False,
                                       block.klog)
                part_has_lines = True
            if part_has_lines:
                part += 1
                part_has_lines = False
            fam, prev = new, index
        if prev == 0:
            yield part, fam, block
        else:
            yield part, fam, Block(block.first + prev, block.lines[prev:], block.cut, block.klog)
        part_has_lines = True
        tail = next((t for t in reversed(block.lines) if t.strip()), "")
        after_recirc_header = tail.startswith("=====")
