"""What one line of an ofproto/trace tree is, and the node made of it.

Both tree builders (indented.py, stripped.py) read lines through these:
one builder per node kind, and the rules that tell a line's kind by its
first characters (tested before any regular expression: most lines are
plain actions, and the rest are told apart by their first character).
"""

from __future__ import annotations

import re
from dataclasses import fields

from ...errors import Problem
from ...lines import decimal
from ...model import (
    EMPTY,
    DetraceNote,
    OfAction,
    OfBridge,
    OfBucket,
    OfDetail,
    OfError,
    OfTable,
    OfThaw,
    OfWarning,
    Trace,
)

_MISSES = {  # the sentences a table line prints instead of a rule -> whether it is a miss
    "No match.": True,
    'No match, and a "packet-in" is called for.': True,
    'Packets are IP fragments and the fragment handling mode is "drop".': False,
}
_THAW_STARTS = ("Resuming from table ", "Restoring action set: ", "Restoring actions: ",
                "restored state: ")
_BUCKET_RE = re.compile(r"bucket \d+\Z")
_BRIDGE_RE = re.compile(r'bridge\("(.*)"\)\Z')

# --- a line's kind by its first character ------------------------------------------

DIGITS = frozenset("0123456789")  # a table line's first character

# A tree line is a plain OpenFlow action, the bulk of any trace, when its
# first character is one of ACTION_FIRST, or one of NO_ACTION_WORDS's keys
# and the line does not start with a word listed for it (those start a thaw,
# bucket or bridge line).  Table numbers, detail/warning/error, elision,
# dashes and ovn-detrace's notes start with the other characters.  (The
# tree builders test this themselves, first thing for every line.)
NO_ACTION_WORDS = {"t": ("thaw",), "b": ('bridge("', "bucket "), "r": ("restored state: ",),
                   "R": ("Resuming from table ", "Restoring action")}
ACTION_FIRST = frozenset(chr(c) for c in range(33, 127)) - set("0123456789->*.") \
    - set(NO_ACTION_WORDS)


# What the lines after a pass's tree start with.
_TREE_ENDS = ("Final flow:", "Megaflow:", "Datapath actions:", "=====", "Flow: ")


def ends_tree(line: str) -> bool:
    """Whether a line (as printed: at the left margin) ends the tree of a pass."""
    return line.startswith(_TREE_ENDS)


def bridge_title_follows(texts: list[str], i: int) -> bool:
    """Whether the next line after texts[i] that is not blank is a bridge
    title: ofproto/trace prints a blank line before each bridge, and that
    blank line does not end the tree."""
    n = len(texts)
    j = i + 1
    while j < n and not texts[j].strip():
        j += 1
    return j < n and _BRIDGE_RE.match(texts[j].strip()) is not None


# --- the node of a line ------------------------------------------------------------------
#
# Actions, table steps and notes, made by the thousand, are made by their
# builder with object.__new__ and every field set: a dataclass's __init__ is
# a Python call from C, which costs 2-3 % of a parse for each kind.  Each
# builder has its class's field list checked next to it (a new field must be
# set there).

_new = object.__new__


def _field_names(cls) -> list[str]:
    return [f.name for f in fields(cls)]


def action_node(body: str, number: int) -> OfAction:
    """A plain action line (`body` without its indentation)."""
    node = _new(OfAction)
    node.text = body
    node.line = number
    node.children = node.annotations = EMPTY
    return node


assert _field_names(OfAction) == ["text", "line", "children", "annotations"]

# Table numbers as printed (OpenFlow has 255 tables): int() of a str costs
# as much as a dict lookup and the rest of a table line's parse together.
_TABLE_IDS = {str(k): k for k in range(256)}


def table_node(body: str, number: int, bridge: str | None, dot: int = -1) -> OfTable | None:
    """A `N. ...` line as an OfTable, or None if it is not one.  `dot`: where
    its `. ` is, if the caller checked the number before it.  (The match,
    priority and cookie are read from the text when first asked for.)"""
    if dot < 0:
        dot = body.find(". ")
        if dot <= 0:
            return None
        digits = body[:dot]
        if not digits.isdigit():
            return None
    else:
        digits = body[:dot]
    table = _TABLE_IDS.get(digits)
    node = _new(OfTable)
    node.text = body
    node.line = number
    node.children = []
    node.table = table if table is not None else decimal(digits)
    node.no_match = node.chained = False
    node.miss = node.rule = None
    if body[dot + 2:dot + 3] in "NP":  # (or nothing after the dot)
        miss = body[dot + 2:]
        no_match = _MISSES.get(miss)
        if no_match is not None:
            node.no_match, node.miss = no_match, miss
    node.bridge = bridge
    node.annotations = EMPTY
    return node


assert _field_names(OfTable) == ["text", "line", "children", "table", "no_match", "miss",
                                 "bridge", "chained", "annotations", "rule"]


def read_notes(texts: list[str], i: int, first: int, run: list) -> int:
    """Append the run of ovn-detrace's `*` lines from texts[i] (a note
    line) to `run`, as notes; return the index of the line after them.
    (ovn-detrace prints several notes for each line it looks up; they are
    most of its lines.)"""
    n = len(texts)
    while i < n:
        raw = texts[i]
        text = raw.lstrip(" ")
        if text[:1] != "*":
            break
        note = _new(DetraceNote)
        note.text = text
        note.line = first + i
        note.children = EMPTY
        note.indent = len(raw) - len(text)
        note.classified = None
        run.append(note)
        i += 1
    return i


assert _field_names(DetraceNote) == ["text", "line", "children", "indent", "classified"]


def note_node(raw: str, number: int) -> DetraceNote:
    """One ovn-detrace `  * ...` line as a DetraceNote (`raw` with its indentation)."""
    text = raw.lstrip(" ")
    return DetraceNote(text, number, EMPTY, len(raw) - len(text))


def leaf_node(body: str, number: int) -> OfAction:
    """A line that is not a table or bridge: action, detail, warning, error, thaw, bucket."""
    c = body[0]
    if c == "-" and body.startswith("-> "):
        return OfDetail(body, number)
    if c == ">":
        if body.startswith(">>>> ") and body.endswith(" <<<<"):
            return OfError(body, number)
        if body.startswith(">> "):
            return OfWarning(body, number)
    if c in NO_ACTION_WORDS:
        if body == "thaw" or body.startswith(_THAW_STARTS):
            return OfThaw(body, number, children=[])
        if c == "b" and _BUCKET_RE.match(body):
            return OfBucket(body, number, children=[])
    return action_node(body, number)


def bridge_node(texts: list[str], i: int, body: str, number: int) -> OfBridge | None:
    """texts[i] (`body`: without its indentation) as a bridge section's title,
    `bridge("br-int")` over a row of dashes as long as it, or None if it is
    not one."""
    if body[:7] != "bridge(":
        return None
    title = body.rstrip()
    m = _BRIDGE_RE.match(title)
    if m is None or i + 1 >= len(texts) or texts[i + 1].strip() != "-" * len(title):
        return None
    return OfBridge(body, number, name=m.group(1))


def note_elision(trace: Trace, number: int) -> None:
    """A `...` line: report the lines left out."""
    trace.problems.append(Problem(trace.source, number,
                                  "'...': lines were left out here by whoever saved the text"))
