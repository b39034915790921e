"""ovn-detrace's loop over an ofproto/trace, with the lookups done by a Resolver.

ovn-detrace is a line filter: it copies each line (23.03: ``strip()``ped),
remembers what a line names (a cookie; with ``--ovs`` an ``in_port=`` of a
table line or an ``output:`` action) and prints what it found about them when
the next table line or blank line (or the end of the input) comes, before
copying that line; the input's end is copied as one more empty line.
:func:`detrace_text` does the same, line for line, so the text is the tool's
whatever the input holds; :func:`annotate` gives the same notes to the nodes of
the parsed model (``--json``).

Where ovn-detrace is wrong this is right: its in_port regex
``in_port=([0-9])+`` keeps the last digit of the port (in_port=13 looks up
port 3); here the whole number is looked up.
"""

from __future__ import annotations

import re
from typing import Iterable, Iterator

from ..model import _EMPTY, DetraceNote, Trace
from .records import Resolver

_COOKIE_2303 = re.compile(r"^.*cookie 0x([0-9a-fA-F]+)")
_COOKIE_NEW = re.compile(r"^.*cookie[ =]0x([0-9a-fA-F]+)")  # ovn-detrace >= 24.09
_INPORT = re.compile(r"^ *[0-9]+\. *in_port=([0-9]+)")
_OUTPORT = re.compile(r"^ *output:([0-9]+)")
_TABLE_ID = re.compile(r"^ *[0-9]+\.")


def split_lines(text: str) -> list[str]:
    """The lines Python's ``sys.stdin.readline()`` gives ovn-detrace (universal newlines)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    out = [line + "\n" for line in lines[:-1]]
    if lines[-1]:
        out.append(lines[-1])
    return out


def lookups(line: str, ovs: bool, extended: bool = False) -> list[tuple[str, int | str]]:
    """What ovn-detrace looks up for this line, in its order: ("cookie", hex) and,
    with --ovs, ("ofport", n) for an output:N action and a table line's in_port=N.

    (A cookie is `cookie 0x...`, as 23.03 has it, also with --extended: newer
    ovn-detraces also take `cookie=0x...`, which looks up the `rule_cookie=` of a
    controller action in the datapath actions a second time.)"""
    out: list[tuple[str, int | str]] = []
    if "cookie" in line:
        m = _COOKIE_2303.match(line)
        if m:
            out.append(("cookie", m.group(1)))
    if ovs:
        m = _OUTPORT.match(line)
        if m:
            out.append(("ofport", int(m.group(1))))
        m = _INPORT.match(line)
        if m:
            out.append(("ofport", int(m.group(1))))
    return out


def _notes(resolver: Resolver, what: str, key) -> list[tuple[int, str]]:
    return resolver.cookie(key) if what == "cookie" else resolver.ofport(key)


def detrace_lines(lines: Iterable[str], resolver: Resolver, *, ovs: bool = False,
                  extended: bool = False) -> Iterator[str]:
    """Output lines (without their newline) for input lines (with theirs).

    Default: ovn-detrace 23.03's output.  *extended*: the lines are kept as they
    are (indentation, trailing spaces) and the notes are indented to the level of the line they are
    about (as ovn-detrace >= 25.03 prints them, which OVN's newer versions also
    flush at a cookie line).
    """
    pending: list[tuple[int, list]] = []  # (indent level, lookups)
    cookie_re = _COOKIE_NEW if extended else _COOKIE_2303
    for line in lines:
        if pending and (_TABLE_ID.match(line) or not line.strip()
                        or (extended and "cookie" in line and cookie_re.match(line))):
            yield from _flush(pending, resolver, extended)
            pending = []
        yield (line[:-1] if line[-1:] == "\n" else line) if extended else line.strip()
        found = lookups(line, ovs, extended)
        if found:
            level = (len(line) - len(line.lstrip(" "))) // 4 if extended else 0
            pending.append((level, found))
    if pending:
        yield from _flush(pending, resolver, extended)
    yield ""  # ovn-detrace prints the empty string readline() returns at the end


def _flush(pending, resolver: Resolver, extended: bool) -> Iterator[str]:
    for level, found in pending:
        pad = " " * (level * 4)
        for what, key in found:
            for extra, body in _notes(resolver, what, key):
                yield pad + " " * extra + "* " + body


def detrace_text(text: str, resolver: Resolver, *, ovs: bool = False,
                 extended: bool = False) -> str:
    return "".join(line + "\n" for line in
                   detrace_lines(split_lines(text), resolver, ovs=ovs, extended=extended))


def annotate(traces: Iterable[Trace], resolver: Resolver, *, ovs: bool = False,
             extended: bool = False) -> list[Trace]:
    """The parsed traces with ovn-detrace's notes on the nodes they are about
    (a table line's cookie and in_port, an output action's port)."""
    out = []
    for trace in traces:
        for node in trace.walk():
            if not hasattr(node, "annotations") or isinstance(node, DetraceNote):
                continue
            found = lookups(node.text, ovs, extended)
            if not found:
                continue
            notes = [DetraceNote("* " + body, node.line, _EMPTY, extra)
                     for what, key in found
                     for extra, body in _notes(resolver, what, key)]
            if notes:
                if node.annotations.__class__ is tuple:
                    node.annotations = []
                node.annotations.extend(notes)
        out.append(trace)
    return out


__all__ = ["detrace_lines", "detrace_text", "annotate", "lookups", "split_lines"]
