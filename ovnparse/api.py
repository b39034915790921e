"""Thin orchestration: read -> segment -> parse -> enrich -> explain.

    >>> from ovnparse import api
    >>> for trace in api.parse("trace.txt"):
    ...     print(api.explain(trace).verdict)

Every function here hands out `ovnparse.Trace` objects (face.py): model
traces with `explain()`.  `parse` and `parse_stream` stream (memory stays
flat on long files); `read` and `read_text` give lists.
"""

from __future__ import annotations

import dataclasses
import io
import itertools
import os
import sys
from collections.abc import Iterable, Iterator
from typing import IO

from .analysis import Explanation
from .analysis import explain as analyse
from .analysis.compare import Comparison
from .analysis.compare import compare as compare_traces
from .db.databases import Databases, open_databases
from .enrich import enrich
from .enrich.detrace_notes import Resolver
from .enrich.openflow import annotate
from .errors import InputError, Problem
from .face import Trace
from .formats.detect import detect_start, family
from .formats.detrace_rules import FAMILY_2303, FAMILY_2509, Rules, family_of_release, split_lines
from .formats.paste import Paste
from .formats.registry import EMPTY_OK, PARSERS
from .formats.segment import segment
from .formats.sniff import OFPROTO, OVN_TRACE
from .lines import Block, open_lines, read_blocks
from .model import Trace as ModelTrace
from .views.detrace_text import filter_lines, ovn_detrace
from .views.ofproto_text import ofproto_trace

__all__ = ["parse", "parse_stream", "parse_text", "read", "read_text", "explain", "compare",
           "open_databases", "Databases", "Explanation", "Trace", "InputError"]

_PEEK = 64  # lines read ahead to detect the format
_LOOK_AHEAD = 4096  # lines read ahead past notes that are no trace, at most


def parse(path: str | os.PathLike, format: str | None = None, *,
          db: Databases | None = None) -> Iterator[Trace]:
    """Traces in a file ("-" for stdin), one at a time.

    Raises InputError when the file cannot be read or holds no known format.
    """
    source, stream = open_lines(os.fspath(path))
    try:
        yield from parse_stream(stream, source, format, db=db)
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


def parse_text(text: str, source: str = "<text>", format: str | None = None, *,
               db: Databases | None = None) -> list[Trace]:
    return list(parse_stream(io.StringIO(text), source, format, db=db))


def read(source: str | os.PathLike | IO, *, format: str | None = None,
         db: Databases | None = None) -> list[Trace]:
    """Every trace of a file (a path, or a file object opened in binary or text mode)."""
    if isinstance(source, (str, os.PathLike)):
        return list(parse(source, format, db=db))
    name = getattr(source, "name", "<stream>")
    return list(parse_stream(source, str(name), format, db=db))


def read_text(text: str, *, format: str | None = None, db: Databases | None = None,
              source: str = "<text>") -> list[Trace]:
    """Every trace of a text."""
    return parse_text(text, source, format, db=db)


def explain(trace: ModelTrace, db: Databases | None = None) -> Explanation:
    """What happened to the packet; with `db`, what the databases say of the
    drop.  A trace the caller will not use again is enriched in place (a
    face Trace's own `explain()` never changes it)."""
    if db is None:
        return trace.explain() if isinstance(trace, Trace) else analyse(trace)
    return analyse(enrich(trace, db))


def compare(first: ModelTrace, second: ModelTrace) -> Comparison:
    """Two traces of one packet: the same verdict, or the known reasons why not."""
    return compare_traces(first, second)


def parse_stream(stream: IO | Iterable[str], source: str, format: str | None = None, *,
                 db: Databases | None = None) -> Iterator[Trace]:
    """Traces in a stream (a binary file, or an iterable of str lines)."""
    for trace in _parse_stream(stream, source, format):
        yield Trace.of(trace, db)


def _parse_stream(stream: IO | Iterable[str], source: str,
                  format: str | None) -> Iterator[ModelTrace]:
    """The traces, each given the command saved before it (formats/paste.py)."""
    paste = Paste(source)
    last = None
    for trace in _parse_blocks(paste.blocks(read_blocks(stream, source)), source, format):
        paste.command_for(trace)
        paste.renumber(trace)
        if last is not None:
            yield last
        last = trace  # (held back: commands after the last trace are said on it)
    if last is not None:
        for command in paste.leftovers():
            last.problems.append(Problem(source, paste.original(command.line),
                                         "a command with no output "
                                         f"after it: {command.text[:60]!r}"))
        yield last


def _parse_blocks(blocks: Iterator[Block], source: str,
                  format: str | None) -> Iterator[ModelTrace]:
    head: list[Block] = []
    peek: list[str] = []  # the first lines, to tell the format by
    numbers: list[int] = []  # their line numbers
    name = None
    start = 0
    for block in blocks:  # read ahead enough lines to tell the format
        head.append(block)
        room = _LOOK_AHEAD - len(peek)
        peek.extend(block.lines[:room])
        numbers.extend(range(block.first, block.first + min(room, len(block.lines))))
        if len(peek) >= _PEEK:
            if format:
                break
            name, start = detect_start(peek[:_PEEK], _klog_in(head, _PEEK))
            if name or len(peek) >= _LOOK_AHEAD:
                break
    first = next(((n, t) for n, t in zip(numbers, peek, strict=True) if t.strip()), None)
    if first is None and format not in EMPTY_OK:
        raise InputError(Problem(source, len(peek), "no text", _EXPECTED))
    if not format and not name:
        name, start = detect_start(peek, _klog_in(head, _PEEK))
    name = format or name
    if name is None:
        number, text = first if first else (1, "")
        raise InputError(Problem(source, number,
                                 f"not a known trace format: {text[:60]!r}", _EXPECTED))
    _check_parser(name, source)
    skipped = [(n, t) for n, t in zip(numbers[:start], peek[:start], strict=True) if t.strip()]
    if skipped:
        head = _blanked(head, {n for n, _ in skipped})
    traces = _parse_parts(itertools.chain(head, blocks), source, name, bool(format))
    if skipped:
        number, text = skipped[0]
        note = Problem(source, number, f"{len(skipped)} line(s) before the first trace, "
                       f"from {text.strip()[:40]!r}, are no trace's text: skipped")
        for trace in traces:
            trace.problems.insert(0, note)
            yield trace
            break
    yield from traces


def _parse_parts(blocks: Iterator[Block], source: str, name: str,
                 forced: bool) -> Iterator[ModelTrace]:
    if forced or family(name) not in (OVN_TRACE, OFPROTO):
        # Forced, or a wrapper (ovnkube-trace) that splits its own parts.
        yield from PARSERS[name](blocks, source)
    else:
        yield from segment(blocks, source, name, PARSERS, _check_parser)


def _blanked(blocks: list[Block], numbers: set[int]) -> list[Block]:
    """The blocks with the lines of these numbers made blank (numbering kept)."""
    return [dataclasses.replace(b, lines=["" if b.first + i in numbers else t
                                          for i, t in enumerate(b.lines)])
            if any(b.first <= n < b.first + len(b.lines) for n in numbers) else b
            for b in blocks]


def _klog_in(blocks: list[Block], count: int) -> str:
    """Whether the first `count` lines' non-blank ones carry klog prefixes:
    "every" one, "some", or ""."""
    prefixed = plain = 0
    for block in blocks:
        for i, text in enumerate(block.lines[:count]):
            if text.strip():
                if block.first + i in block.klog:
                    prefixed += 1
                else:
                    plain += 1
        count -= len(block.lines)
        if count <= 0:
            break
    return "" if not prefixed else "some" if plain else "every"


_EXPECTED = "the output of ovn-trace, ofproto/trace, ovn-detrace or ovnkube-trace"


def _check_parser(name: str, source: str) -> None:
    if name not in PARSERS:
        raise InputError(Problem(source, 0, f"no parser for {name!r} output",
                                 "one of " + ", ".join(sorted(PARSERS))))


# --- ovn-detrace's output -------------------------------------------------------------

#: what `ovnparse detrace` prints: ovn-detrace 23.03's output; `--extended`
#: keeps the lines as they are and indents the notes as ovn-detrace >= 25.09
#: does (its lookups stay 23.03's: the 24.09 cookie regex looks a controller
#: action's rule_cookie up again)
PRINTED = Rules(FAMILY_2303)
EXTENDED = Rules(FAMILY_2509, verbatim=True)


def replayable(text: str, source: str = "<text>") -> list[Trace] | None:
    """The ofproto/trace outputs of the text, parsed, if printing them gives the
    text back byte for byte; else None."""
    if "\r" in text or not text.endswith("\n"):
        return None
    try:
        traces = parse_text(text, source, format="ofproto/trace")
    except InputError:
        return None
    if any(t.problems for t in traces) or "".join(map(ofproto_trace, traces)) != text:
        return None
    return traces


def annotated(traces: Iterable[Trace], resolver: Resolver, ovs: bool = False,
              rules: Rules = PRINTED) -> list[Trace]:
    """The traces with ovn-detrace's notes on their nodes (see enrich/openflow.py)."""
    return [annotate(t, resolver, ovs=ovs, rules=rules) for t in traces]


def detrace_text(text: str, resolver: Resolver, *, ovs: bool = False, extended: bool = False,
                 release: str = "23.03", source: str = "<text>",
                 traces: list[Trace] | None = None) -> str:
    """What the ovn-detrace of an OVN `release` prints for an ofproto/trace text
    (or, `extended`, EXTENDED).

    Printed from the model (parse, annotate, print) where the parsed text gives
    itself back byte for byte; else by ovn-detrace's own line filter over the
    raw lines (text that is not a clean trace).  `traces`: `replayable(text)`,
    if the caller has it.
    """
    lookups = PRINTED if extended else Rules(family_of_release(release))
    rules = EXTENDED if extended else lookups
    if traces is None:
        traces = replayable(text, source)
    if traces is not None:
        out = "".join(ovn_detrace(t, rules, ovs)
                      for t in annotated(traces, resolver, ovs, lookups))
        return out + "\n"  # ovn-detrace prints the empty string readline() returns at the end
    return "".join(line + "\n" for line in filter_lines(
        split_lines(text), resolver.notes, ovs=ovs, rules=rules, lookup_rules=lookups))
