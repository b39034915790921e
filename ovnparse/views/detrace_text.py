"""Print what ovn-detrace prints: an OpenFlow trace with its notes.

`ovn_detrace(trace)` prints a parsed (or enriched) trace: the lines as
ofproto/trace printed them (views/ofproto_text.py), copied and interleaved
with each node's notes where ovn-detrace prints them, by the rules of a
release family (formats/detrace_rules.py).  Parse then print gives back
the tool's bytes (the tests check it on every sample and corpus output).

`filter_lines` is ovn-detrace's loop itself, over raw lines: for text the
parser cannot give back byte for byte (not UTF-8, not a trace, garbled),
`ovnparse detrace` still prints what ovn-detrace would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from ..formats.detrace_rules import (
    COOKIE,
    FAMILY_2509,
    OFPORT,
    PRINT_P,
    RULES_2303,
    Rules,
    family_of,
)
from ..model import OfPass, Trace
from .ofproto_text import lines as trace_lines

#: (what, key) -> [(extra spaces, note body)]: a resolver's answer for a lookup
Lookup = Callable[[str, "int | str"], list[tuple[int, str]]]


def rules_of(trace: Trace) -> Rules:
    """The rules the text of a parsed ovn-detrace output was printed by."""
    family = getattr(trace, "detrace_family", None)
    if family is None:
        stripped = any(p.stripped for p in trace.roots if isinstance(p, OfPass))
        family = family_of(stripped)
    return Rules(family)


def ovn_detrace(trace: Trace, rules: Rules | None = None, ovs: bool | None = None) -> str:
    """The text ovn-detrace printed (or, given `rules`, would print) for the
    trace.  `ovs`: it ran with --ovs (None: if the notes name an OVS interface)."""
    rules = rules or rules_of(trace)
    if ovs is None:
        ovs = any(note.what == "ovs_interface" for node in trace.walk()
                  for note in getattr(node, "annotations", ()))
    out: list[str] = []
    pending: list[tuple[object, str]] = []
    level = 0  # of the last line that made ovn-detrace look something up
    for line, node in trace_lines(trace):
        if pending and rules.flushes(line):
            _emit(pending, out, rules, level)
            pending = []
        out.append(rules.copy(line))
        if node is not None:
            roles = rules.triggers(line, ovs)
            if roles:
                level = (len(line) - len(line.lstrip(" "))) // 4
                pending.extend((node, role) for role in roles)
    if pending:
        _emit(pending, out, rules, level)
    return "".join(line + "\n" for line in out)


def _emit(pending: list[tuple[object, str]], out: list[str], rules: Rules, level: int) -> None:
    for node, role in pending:
        for note in getattr(node, "annotations", ()):
            if (note.what == "ovs_interface") == (role == OFPORT):
                out.append(" " * _indent(note.indent, rules, level) + note.text)


def _indent(indent: int, rules: Rules, level: int) -> int:
    """ovn-detrace >= 25.09 indents notes by the level of the last line that
    matched; earlier ones print them at 2 or 3 spaces."""
    if rules.family == FAMILY_2509:
        return level * 4 + indent % 4
    return indent


def filter_lines(lines: Iterable[str], lookup: Lookup, *, ovs: bool = False,
                 rules: Rules = RULES_2303,
                 lookup_rules: Rules | None = None) -> Iterator[str]:
    """ovn-detrace's loop over raw input lines (with their line ends): output
    lines without theirs.  `lookup_rules`: which lines to look up, when not
    `rules` (`--extended` prints as 25.09 does but looks up as 23.03 did)."""
    lookup_rules = lookup_rules or rules
    pending: list[tuple[str, int | str]] = []
    level = 0
    for line in lines:
        if pending and rules.flushes(line):
            yield from _notes(pending, lookup, rules, level)
            pending = []
        yield rules.copy(line)
        found = lookup_rules.lookups(line, ovs)
        if found:
            level = (len(line) - len(line.lstrip(" "))) // 4
            pending.extend(found)
    if pending:
        yield from _notes(pending, lookup, rules, level)
    yield ""  # ovn-detrace prints the empty string readline() returns at the end


def _notes(pending, lookup: Lookup, rules: Rules, level: int) -> Iterator[str]:
    for what, key in pending:
        for extra, body in lookup(what, key):
            yield " " * _indent(extra, rules, level) + "* " + body


__all__ = ["ovn_detrace", "filter_lines", "rules_of", "COOKIE", "OFPORT", "PRINT_P"]
