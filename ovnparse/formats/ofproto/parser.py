"""Parser for `ovs-appctl ofproto/trace` output (and the ofproto/trace text
inside ovn-detrace's, see parsers/ovn_detrace.py).

How ofproto/trace prints (ofproto/ofproto-dpif-trace.c, OVS 2.7 to 3.x)
decides how it must be read:

* `Flow: <flow>`, then the tree of trace nodes, then `Final flow:`,
  `Megaflow:`, `Datapath actions:` -- one *pass*.  Each recirculation the
  pass queued (conntrack, ...) is traced after it as another pass, under a
  header framed by two rows of 79 `=`: `recirc(0x28) - resume conntrack with
  ct_state=new|trk`, and, when the ct action NATs, `Replacing src/dst IP/ports
  to simulate NAT:` with the initial and modified flow.
* The tree (ofproto-dpif-xlate.c) has bridge, table, thaw nodes (which hold
  others) and action, detail (` -> `), warning (` >> `), error (` >>>> ...
  <<<<`) and bucket nodes.  A `resubmit`/`goto_table` appends the next table
  to the list the action is in, *after* the action.  oftrace_node_print_details
  prints a node at (level + more) * 4 spaces, where `more` is false only for
  the last node of a list that is a bridge, table or thaw, and its children
  at level + 2 * more: the same tail elision as ovn-trace, so a table that is
  the last thing the table before it did prints at that table's own depth.
  The decoder below replays that rule; every list sits at an even level, a
  line at an odd level is a terminal or a not-last node, one at an even level
  the last node of its list.
* Table lines are `%2d. ` (one-digit tables get a leading space), then the
  match, `priority N` and `, cookie 0x...` (only when the cookie is not zero,
  without leading zeros), or `No match.` and its variants.  A bridge title
  comes after a blank line and over a row of dashes as long as it.

ovn-detrace (before OVN 24.09) strips every line it copies: for that text
`_Semantic` rebuilds the nesting from what the lines mean (a table line
follows the action that led to it) instead of indentation.
"""

from __future__ import annotations

import re
from dataclasses import fields
from itertools import compress, repeat
from operator import attrgetter
from typing import Iterable, Iterator

from ...errors import Problem
from ...lines import Block
from ...model import (EMPTY, DetraceNote, OfAction, OfBridge, OfBucket, OfDetail, OfError,
                      OfPass, OfTable, OfThaw, OfWarning, Trace)
from .ovs_flow import recircs

FORMAT = "ofproto/trace"
ELISION = "..."

_FINAL = "Final flow: "
_MEGAFLOW = "Megaflow: "
_ACTIONS = "Datapath actions: "
# Lines ofproto_trace__ may print after the datapath actions.
_NOTE_STARTS = ("Translation failed (", "This flow is handled by the userspace slow path",
                "  - ", "Action execution failed (", ".")
_MISSES = {
    "No match.": True,
    'No match, and a "packet-in" is called for.': True,
    'Packets are IP fragments and the fragment handling mode is "drop".': False,
}
_THAW_STARTS = ("Resuming from table ", "Restoring action set: ", "Restoring actions: ",
                "restored state: ")
_BUCKET_RE = re.compile(r"bucket \d+\Z")
_BRIDGE_RE = re.compile(r'bridge\("(.*)"\)\Z')
_RESUME_RE = re.compile(r"recirc\((0x[0-9a-fA-F]+)\)(?: - resume conntrack with "
                        r"(?:default )?ct_state=(\S+))?")
# First characters of a tree line that is not a plain action.
_SPECIAL_FIRST = frozenset("0123456789->*.")
_DIGITS = frozenset("0123456789")
# thaw, bucket/bridge, restored, Resuming/Restoring: lines that are not actions
_WORDS = {"t": ("thaw",), "b": ('bridge("', "bucket "), "r": ("restored state: ",),
          "R": ("Resuming from table ", "Restoring action")}
_WORD_FIRST = frozenset(_WORDS)
# First characters of a plain action line (anything but the above and blank).
_ACTION_FIRST = frozenset(chr(c) for c in range(33, 127)) - _SPECIAL_FIRST - _WORD_FIRST
_TREE_ENDS = ("Final flow:", "Megaflow:", "Datapath actions:", "=====", "Flow: ")
_RETURNS = ("pop:", "move", "set_")  # actions that may read back what a caller set
_TEXT = attrgetter("text")
# The hot loops make actions, notes and table steps with object.__new__ and
# set every field themselves: a dataclass's __init__ is a Python call from C,
# which costs a tenth of a trace line's parse.  (The fields, checked here.)
_new = object.__new__
assert [f.name for f in fields(OfAction)] == ["text", "line", "children", "annotations"]
assert [f.name for f in fields(DetraceNote)] == ["text", "line", "children", "indent",
                                                 "classified"]
assert [f.name for f in fields(OfTable)] == ["text", "line", "children", "table", "no_match",
                                             "miss", "bridge", "chained", "annotations", "rule"]


def parse(blocks: Iterable[Block], source: str, f_lines: list[int] | None = None
          ) -> Iterator[Trace]:
    """ofproto/trace outputs in the text, one Trace each (streaming).  See
    parse_outputs for `f_lines`."""
    return parse_outputs(blocks, source, FORMAT, None, f_lines)


# --- splitting a text into outputs ------------------------------------------------

def parse_outputs(blocks: Iterable[Block], source: str, fmt: str,
                  notes: "NoteHandler | None", f_lines: list[int] | None = None
                  ) -> Iterator[Trace]:
    """Cut the text where an output starts (a `Flow:` line that does not
    follow a recirculation header) and parse each output.

    Text before the first output that holds no trace line (a wrapped command
    line, a log prefix, a YAML key) is reported on the output after it.
    `f_lines`: the indices of the first block's lines that start with "F",
    from a caller that has them (ovnkube-trace's reader), to look at those
    only.
    """
    texts: list[str] = []
    first = 1
    last_block = None
    prev_nonblank = ""  # across blocks: the last non-blank line seen
    margin: str | None = None
    seen = False
    preamble: tuple[int, list[str]] | None = None
    for block in blocks:
        last_block = block
        lines = block.lines
        if not texts:
            first = block.first
        if margin is None:
            margin = _find_margin(lines)
        if margin:
            k = len(margin)
            starts = [i for i, t in enumerate(lines)
                      if t[k:k + 6] == "Flow: " and t.startswith(margin)]
        elif f_lines is not None:
            starts = [i for i in f_lines if lines[i][:6] == "Flow: "]
        else:
            starts = [i for i, t in enumerate(lines) if t[:1] == "F" and t[:6] == "Flow: "]
        f_lines = None  # (the first block's)
        prev = 0
        for start in starts:
            before = _last_nonblank(lines, start, prev_nonblank)
            if before.lstrip(" ").startswith("====="):
                continue  # a resumed pass of the same output
            texts.extend(lines[prev:start])
            prev = start
            if _has_content(texts):
                if not seen and not _has_trace_lines(texts):
                    preamble = (first, texts)
                else:
                    yield _output(texts, first, source, fmt, False, notes, margin, preamble)
                    preamble = None
                    seen = True
            texts = []
            first = block.first + start
        texts.extend(lines[prev:])
        tail = _last_nonblank(lines, len(lines), "")
        if tail:
            prev_nonblank = tail
    cut = bool(last_block and last_block.cut)
    if _has_content(texts) or preamble is not None:
        yield _output(texts, first, source, fmt, cut, notes, margin, preamble)


def _output(texts, first, source, fmt, cut, notes, margin, preamble) -> Trace:
    if preamble is not None and not _has_content(texts):
        texts, first, preamble = preamble[1], preamble[0], None
    trace = parse_output(texts, first, source, fmt, cut, notes, margin or "")
    if preamble is not None:
        at, lines = preamble
        n = sum(1 for t in lines if t.strip())
        trace.problems.insert(0, Problem(
            source, at + next(i for i, t in enumerate(lines) if t.strip()),
            f"{n} line(s) before the output's 'Flow:' line, not part of it: "
            f"{lines[0].strip()[:40]!r}", "the output to start at its 'Flow:' line"))
        trace.first_line = at
    return trace


_TRACE_STARTS = ('bridge("', "Final flow:", "Megaflow:", "Datapath actions:",
                 "Translation failed", "=====")


def _has_trace_lines(texts: list[str]) -> bool:
    """Whether a text holds lines of a trace (a filtered output may lack `Flow:`)."""
    for t in texts:
        s = t.strip()
        if s.startswith(_TRACE_STARTS) or table_node(s, 0, None) is not None:
            return True
    return False


def _find_margin(lines: list[str]) -> str | None:
    """The indentation of the first `Flow:` line (a trace pasted indented), or
    None if this block has none."""
    for t in lines:
        if t[:6] == "Flow: ":
            return ""
        s = t.lstrip(" ")
        if s.startswith("Flow: "):
            return t[:len(t) - len(s)]
    return None


def _last_nonblank(lines: list[str], end: int, default: str) -> str:
    for j in range(end - 1, -1, -1):
        if lines[j].strip():
            return lines[j]
    return default


def _has_content(texts: list[str]) -> bool:
    return any(t.strip() for t in texts)


# --- one output -------------------------------------------------------------------

class NoteHandler:
    """Hooks ovn-detrace's parser gives this one (see parsers/ovn_detrace.py).
    `run` is the list of notes read since the last line (appended to directly;
    one list object from `begin` to `end`)."""

    run: list

    def begin(self, trace: Trace, stripped: bool) -> None:  # a new output
        raise NotImplementedError

    def line(self, raw: str, node, number: int) -> None:  # a copied line and its node
        raise NotImplementedError

    def note(self, raw: str, number: int, trace: Trace) -> None:  # an annotation line
        raise NotImplementedError

    def flush_point(self, body: str) -> None:  # a table or blank line arrives
        raise NotImplementedError

    def table(self, raw: str, node, number: int) -> None:  # a table line (flush point)
        self.flush_point(raw.strip(" "))
        self.line(raw, node, number)

    def end(self, trace: Trace) -> None:
        raise NotImplementedError


def parse_output(texts: list[str], first: int, source: str, fmt: str, cut: bool,
                 notes: NoteHandler | None = None, margin: str = "",
                 semantic: bool = False) -> Trace:
    """One output's lines (the first numbered `first`) as a Trace.

    `semantic`: rebuild the nesting from what the lines mean even though the
    text is indented (its indentation does not follow the tool's rule).
    """
    last = first + len(texts) - 1
    trace = Trace(format=fmt, source=source, microflow=None, first_line=first,
                  last_line=max(first, last))
    if margin:
        texts = _strip_margin(texts, margin, first, trace)
    stripped = notes is not None and _is_stripped(texts)
    if notes is not None:
        notes.begin(trace, stripped)
    tree_problems = 0
    n = len(texts)
    i = 0
    pass_: OfPass | None = None
    while i < n:
        raw = texts[i]
        number = first + i
        if notes is not None and raw.lstrip(" ")[:1] == "*":
            notes.note(raw, number, trace)
            i += 1
            continue
        text = raw.strip(" ")
        if not text:
            if notes is not None:
                notes.flush_point("")
                if pass_ is not None and not _more_passes(texts, i + 1):
                    pass_.notes.append(raw)  # ovn-detrace prints one more empty line
            i += 1
            continue
        if text.startswith("====="):
            pass_ = _new_pass(trace, pass_, number, stripped, margin)
            pass_.header_line = number
            i = _read_header(texts, i + 1, first, pass_, trace, notes)
            continue
        if text.startswith("Flow: "):
            if pass_ is None or pass_.flow is not None or pass_.children \
                    or pass_.datapath_actions is not None:
                pass_ = _new_pass(trace, pass_, number, stripped, margin)
            pass_.flow = text[6:]
            pass_.text, pass_.line = text, number
            if trace.microflow is None and len(trace.roots) == 1:
                trace.microflow = pass_.flow
            if notes is not None:
                notes.line(raw, pass_, number)
            i += 1
            continue
        if text.startswith(_FINAL) or text.startswith(_MEGAFLOW) \
                or text.startswith(_ACTIONS) or text == _FINAL.rstrip() \
                or text == _MEGAFLOW.rstrip() or text == _ACTIONS.rstrip():
            if pass_ is None or pass_.datapath_actions is not None:
                pass_ = _new_pass(trace, pass_, number, stripped, margin)
            _summary_line(raw, text, number, pass_, trace)
            if notes is not None:
                notes.line(raw, pass_, number)
            i += 1
            continue
        if pass_ is not None and pass_.datapath_actions is not None:
            # After the datapath actions: the tool's notes, or a stray line.
            if text == ELISION:
                _note_elision(trace, number)
            elif raw.startswith(_NOTE_STARTS) or text.startswith(_NOTE_STARTS) or (
                    text.startswith("- ") and pass_.notes):
                pass_.notes.append(raw)
                if notes is not None:
                    notes.line(raw, pass_, number)
            else:
                trace.problems.append(Problem(
                    source, number, f"unexpected line after the datapath actions: {text[:60]!r}",
                    "a recirculation header or the next output's 'Flow:' line"))
            i += 1
            continue
        if text.startswith(_NOTE_STARTS[0]):
            # A filtered text that kept only the last line(s).
            if pass_ is None:
                pass_ = _new_pass(trace, pass_, number, stripped, margin)
            pass_.notes.append(raw)
            i += 1
            continue
        # The tree of the pass.
        if pass_ is None:
            pass_ = _new_pass(trace, pass_, number, stripped, margin)
        if pass_.children or pass_.final_flow is not None or pass_.megaflow is not None:
            if pass_.final_flow is not None or pass_.megaflow is not None:
                trace.problems.append(Problem(
                    source, number, f"trace line after 'Final flow:': {text[:60]!r}",
                    "the datapath actions"))
        if text.startswith(_LEGACY_STARTS):
            i = _legacy(texts, i, first, pass_)
        elif stripped or semantic:
            i = _Semantic(trace, pass_, notes).run(texts, i, first)
        else:
            before = len(trace.problems)
            i = _Indented(trace, pass_, notes).run(texts, i, first)
            tree_problems += len(trace.problems) - before
    if notes is not None:
        notes.end(trace)
        if tree_problems and not semantic:
            # ovn-detrace copies the text it is given: if that was indented by
            # hand, read the nesting from the actions instead.
            again = parse_output(texts, first, source, fmt, cut, notes, margin, semantic=True)
            again.problems.insert(0, Problem(
                source, first, "indentation does not follow ofproto/trace's printing rule; "
                "nesting rebuilt from the actions", "ofproto/trace indentation"))
            return again
    if stripped or semantic:
        finish_semantic(trace)
    _link_passes(trace)
    _check_complete(trace, cut)
    return trace


def _strip_margin(texts: list[str], margin: str, first: int, trace: Trace) -> list[str]:
    out = []
    k = len(margin)
    for i, t in enumerate(texts):
        if t.startswith(margin):
            out.append(t[k:])
        elif not t.strip():
            out.append("")
        else:
            trace.problems.append(Problem(trace.source, first + i,
                                          f"line outside the trace's indentation: {t[:60]!r}",
                                          f"lines indented by {len(margin)} spaces like the "
                                          "'Flow:' line"))
            out.append(t)
    return out


def _is_stripped(texts: list[str]) -> bool:
    """ovn-detrace before OVN 25.03 printed every line stripped: the first tree
    lines (after a bridge title) are not indented, nor anything else but notes."""
    seen = 0
    in_tree = not any(t.lstrip(" ").startswith("-----") for t in texts[:8])
    for t in texts:
        s = t.lstrip(" ")
        if not in_tree:
            in_tree = s.startswith("-----")
            continue
        if not s or s[0] == "*":
            continue
        if s is not t:
            return False
        seen += 1
        if seen >= 8:
            return True
    return True


def _more_passes(texts: list[str], start: int) -> bool:
    for j in range(start, len(texts)):
        if texts[j].strip():
            return True
    return False


def _new_pass(trace: Trace, current: OfPass | None, number: int, stripped: bool,
              margin: str) -> OfPass:
    if current is not None and current.datapath_actions is None and current.final_flow is None \
            and current.flow is None and not current.children and not current.header \
            and not current.notes and current.megaflow is None:
        return current  # nothing in it yet: reuse
    pass_ = OfPass("", number, stripped=stripped, margin=margin)
    trace.roots.append(pass_)
    return pass_


def _read_header(texts: list[str], i: int, first: int, pass_: OfPass, trace: Trace,
                 notes: NoteHandler | None) -> int:
    """Lines between the two `=====` rows of a recirculation header."""
    n = len(texts)
    while i < n:
        raw = texts[i]
        if raw.strip(" ").startswith("====="):
            return i + 1
        pass_.header.append(raw)
        if notes is not None:
            notes.line(raw, pass_, first + i)
        m = _RESUME_RE.match(raw.strip())
        if m and pass_.recirc_id is None:
            pass_.recirc_id = m.group(1)
            pass_.ct_state = m.group(2)
            pass_.text, pass_.line = raw.strip(), first + i
        i += 1
    trace.problems.append(Problem(trace.source, first + n - 1,
                                  "the text ends inside a recirculation header",
                                  "a closing row of '='"))
    return i


def _summary_line(raw: str, text: str, number: int, pass_: OfPass, trace: Trace) -> None:
    if text.startswith("Final flow:"):
        if pass_.final_flow is not None:
            _dup(trace, number, "Final flow:")
        pass_.final_flow, pass_.final_flow_line = raw[len(_FINAL):], number
    elif text.startswith("Megaflow:"):
        if pass_.megaflow is not None:
            _dup(trace, number, "Megaflow:")
        pass_.megaflow, pass_.megaflow_line = raw[len(_MEGAFLOW):], number
    else:
        pass_.datapath_actions, pass_.datapath_actions_line = raw[len(_ACTIONS):], number


def _dup(trace: Trace, number: int, what: str) -> None:
    trace.problems.append(Problem(trace.source, number, f"a second {what!r} line in one pass",
                                  "one per pass"))


def _note_elision(trace: Trace, number: int) -> None:
    trace.problems.append(Problem(trace.source, number,
                                  "'...': lines were left out here by whoever saved the text"))


def _link_passes(trace: Trace) -> None:
    """Point each resumed pass at the pass whose datapath actions queued it."""
    queued: dict[str, int] = {}
    for index, pass_ in enumerate(trace.roots):
        if pass_.recirc_id is not None:
            pass_.queued_by = queued.get(pass_.recirc_id.lower())
        for rid in recircs(pass_):
            queued.setdefault(rid.lower(), index)


def _check_complete(trace: Trace, cut: bool) -> None:
    if cut:
        trace.cut = True
        trace.problems.append(Problem(trace.source, trace.last_line,
                                      "the last line has no line end: the text was cut",
                                      "a complete last line"))
    if not trace.roots:
        trace.cut = True
        trace.problems.append(Problem(trace.source, trace.last_line, "no trace in the text",
                                      "'Flow:', the bridge sections and 'Datapath actions:'"))
        return
    last = trace.roots[-1]
    if last.datapath_actions is None:
        trace.cut = True
        trace.problems.append(Problem(
            trace.source, trace.last_line,
            "the text ends before the pass's 'Datapath actions:' line",
            "'Final flow:', 'Megaflow:' and 'Datapath actions:' after the bridge sections"))


# --- the format before OVS 2.7 ----------------------------------------------------------

_LEGACY_STARTS = ("Rule: ", "OpenFlow actions=", "Resubmitted ", "No match")
_LEGACY_RULE = re.compile(r"Rule: table=(\d+) cookie=(\S+)(?: (.*))?\Z")


def _legacy(texts: list[str], i: int, first: int, pass_: OfPass) -> int:
    """ofproto/trace before OVS 2.7: `Rule: table=N cookie=C match`, `OpenFlow
    actions=...`, `Resubmitted flow/regs/odp/megaflow:` and `No match` lines
    (their tab indentation is lost in most documents): each rule a table step,
    listed flat, its actions and resubmit notes its children.  Read, not
    printed back."""
    n = len(texts)
    step: OfTable | None = None
    target = 0
    while i < n:
        body = texts[i].strip()
        number = first + i
        if body.startswith(("Final flow:", "Megaflow:", "Datapath actions:", "=====",
                            "Flow: ")):
            return i
        if not body:
            i += 1
            continue
        m = _LEGACY_RULE.match(body)
        if m:
            fields = [f for f in (m.group(3) or "").split(",") if f]
            prio = next((f[9:] for f in fields if f.startswith("priority=")), None)
            match = ",".join(f for f in fields if not f.startswith("priority=")) or None
            cookie = None if m.group(2) in ("0", "0x0") else m.group(2)
            step = OfTable(body, number, table=int(m.group(1)), chained=bool(pass_.children),
                           rule=(match, int(prio) if prio and prio.lstrip("-").isdigit()
                                 else None, cookie))
            pass_.children.append(step)
        elif body.startswith("No match"):
            step = OfTable(body, number, table=target, no_match=True, miss=body,
                           chained=bool(pass_.children), rule=(None, None, None))
            pass_.children.append(step)
        else:
            node = OfAction(body, number)
            if body.startswith("OpenFlow actions="):
                t = re.search(r"resubmit\([^,()]*,(\d+)\)", body)
                target = int(t.group(1)) if t else target
            owner = step if step is not None else pass_
            owner.children.append(node)
        i += 1
    return i


# --- table lines and other nodes -------------------------------------------------------

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
    if table is None:
        table = int(digits)
    if body[dot + 2:dot + 3] in "NP":  # (or nothing after the dot)
        rest = body[dot + 2:]
        miss = _MISSES.get(rest)
        if miss is not None:
            return OfTable(body, number, [], table, miss, rest, bridge)
    node = _new(OfTable)  # (every field set: see _new)
    node.text = body
    node.line = number
    node.children = []
    node.table = table
    node.no_match = node.chained = False
    node.miss = node.rule = None
    node.bridge = bridge
    node.annotations = EMPTY
    return node


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
    if c in _WORD_FIRST:
        if body == "thaw" or body.startswith(_THAW_STARTS):
            return OfThaw(body, number, children=[])
        if c == "b" and _BUCKET_RE.match(body):
            return OfBucket(body, number, children=[])
    return OfAction(body, number)


def _bridge_name(body: str) -> str | None:
    m = _BRIDGE_RE.match(body)
    return m.group(1) if m else None


# --- the tree, from indentation ----------------------------------------------------------

# An open list of the OVS trace tree is a list [owner, level, lift, last]: who
# owns it (its items go to owner.children), the level it prints at, the list
# its owner sits in (to list a tail table after it), its last item.  (A list:
# one is made per table line, and a class instance costs more.)
OWNER, LEVEL, LIFT, LAST = 0, 1, 2, 3


class _Indented:
    """Rebuild a pass's tree by ofproto/trace's printing rule (see module doc)."""

    def __init__(self, trace: Trace, pass_: OfPass, notes: NoteHandler | None):
        self.trace = trace
        self.pass_ = pass_
        self.notes = notes
        self.stack = [[pass_, 0, None, None]]
        self.bridge: str | None = None
        self.unpadded = False

    def run(self, texts: list[str], i: int, first: int) -> int:
        """Read tree lines from texts[i]; return the index of the first line after them."""
        stack = self.stack
        notes = self.notes
        n = len(texts)
        # The open list actions go to, kept in locals while the stack is unchanged.
        top = stack[-1]
        action_indent = (top[LEVEL] + 1) * 4
        kids = top[OWNER].children
        while i < n:
            raw = texts[i]
            body = raw.lstrip(" ")
            c = body[:1]
            indent = len(raw) - len(body)
            if c in _ACTION_FIRST or (c in _WORD_FIRST and not body.startswith(_WORDS[c])):
                # Fast path: an action line in the open list (an odd level, one
                # more than the list's), the bulk of any trace.
                if indent == action_indent and kids.__class__ is list:
                    node = _new(OfAction)  # (every field set: see _new)
                    node.text = body
                    node.line = first + i
                    node.children = node.annotations = EMPTY
                    kids.append(node)
                    top[LAST] = node
                    if notes is not None and (notes.run or "output:" in body
                                              or "cookie" in body):
                        notes.line(raw, node, first + i)
                    i += 1
                    continue
                if not indent & 3 and indent & 4:
                    # An action in an open list further out (a call returned):
                    # what _slow would do with it, without its other tests.
                    level = (indent >> 2) - 1
                    while len(stack) > 1 and stack[-1][LEVEL] > level:
                        stack.pop()
                    top = stack[-1]
                    kids = top[OWNER].children
                    action_indent = (top[LEVEL] + 1) * 4
                    if top[LEVEL] == level and kids.__class__ is list:
                        node = _new(OfAction)  # (every field set: see _new)
                        node.text = body
                        node.line = first + i
                        node.children = node.annotations = EMPTY
                        kids.append(node)
                        top[LAST] = node
                        if notes is not None:
                            notes.line(raw, node, first + i)
                        i += 1
                        continue
            elif c == "-" and body[:3] == "-> " and indent == action_indent + 1 \
                    and kids.__class__ is list:
                node = OfDetail(body, first + i)  # " -> ": what the action did
                kids.append(node)
                top[LAST] = node
                if notes is not None:
                    notes.line(raw, node, first + i)
                i += 1
                continue
            elif c in _DIGITS:
                # Fast path: a table line (a third of an OVN trace).
                dot = body.find(". ")
                if dot == 1 or (dot > 1 and body[:dot].isdigit()):
                    if dot == 1:
                        indent -= 1  # "%2d. "
                    if indent >= 0 and not indent & 3:
                        node = table_node(body, first + i, self.bridge, dot)
                        if notes is not None:
                            notes.table(raw, node, first + i)
                        printed = indent >> 2
                        more = printed & 1
                        level = printed - more
                        while len(stack) > 1 and stack[-1][LEVEL] > level:
                            stack.pop()
                        top = stack[-1]
                        if top[LEVEL] != level:
                            self.trace.problems.append(Problem(
                                self.trace.source, first + i,
                                "indentation does not fit the trace tree; attached to the "
                                "nearest level", "ofproto/trace nesting"))
                        if not more and top[OWNER].__class__ is OfTable and top[LEVEL] == level:
                            # The common case: the next table of a chain.  Its list
                            # takes the place of the last table's, which no line can
                            # reach again (the stack is popped by level: theirs is one).
                            node.chained = True
                            top[LIFT].append(node)
                            top[OWNER] = node
                            top[LAST] = None
                        else:
                            _attach(node, top, more, stack)
                            top = stack[-1]
                        action_indent = (top[LEVEL] + 1) * 4
                        kids = top[OWNER].children
                        i += 1
                        continue
            elif not c:
                if not raw or raw.strip(" ") == "":
                    j = i + 1
                    while j < n and not texts[j].strip():
                        j += 1
                    if j < n and _bridge_name(texts[j].strip()) is not None:
                        if notes is not None:
                            notes.flush_point("")
                        i += 1
                        continue  # the blank line a bridge title brings
                    return i
            elif not indent and raw.startswith(_TREE_ENDS):
                return i
            i = self._slow(texts, i, first)
            top = stack[-1]
            action_indent = (top[LEVEL] + 1) * 4
            kids = top[OWNER].children
        return i

    def _slow(self, texts: list[str], i: int, first: int) -> int:
        raw = texts[i]
        number = first + i
        body = raw.lstrip(" ")
        notes = self.notes
        trace = self.trace
        if not body:
            j = i + 1
            while j < len(texts) and not texts[j].strip():
                j += 1
            if notes is not None:
                notes.flush_point("")
            if j < len(texts) and _bridge_name(texts[j].strip()) is not None:
                return i + 1
            trace.problems.append(Problem(trace.source, number,
                                          "blank line inside the trace tree",
                                          "a bridge title after it"))
            return i + 1
        if body[0] == "*" and notes is not None:
            notes.note(raw, number, trace)
            return i + 1
        indent = len(raw) - len(body)
        if body == ELISION:
            _note_elision(trace, number)
            return i + 1
        name = _bridge_name(body.rstrip())
        if name is not None and i + 1 < len(texts) \
                and texts[i + 1].strip() == "-" * len(body.rstrip()):
            node = OfBridge(body, number, name=name)
            self.bridge = name
            if notes is not None:
                notes.line(raw, node, number)
            self._place(node, indent, number, nonterminal=True)
            return i + 2
        if body[0].isdigit():
            node = table_node(body, number, self.bridge)
            if node is not None:
                if notes is not None:
                    notes.table(raw, node, number)
                if node.table < 10:
                    if indent & 3 == 0:
                        if not self.unpadded:
                            self.unpadded = True
                            trace.problems.append(Problem(
                                trace.source, number,
                                "one-digit table number not right-aligned",
                                "'%2d. ' (a leading space) as ofproto/trace prints it"))
                    else:
                        indent -= 1
                self._place(node, indent, number, nonterminal=True)
                return i + 1
        if body.startswith("-----") and set(body.rstrip()) == {"-"}:
            trace.problems.append(Problem(trace.source, number,
                                          "row of dashes without a bridge title",
                                          'a bridge("...") line above it'))
            return i + 1
        node = leaf_node(body, number)
        if notes is not None:
            notes.line(raw, node, number)
        cls = node.__class__
        if cls is OfDetail or cls is OfWarning or cls is OfError:
            indent -= 1  # " -> ", " >> ", " >>>> " start with a space
        self._place(node, indent, number, nonterminal=cls is OfThaw)
        return i + 1

    def _place(self, node, indent: int, number: int, nonterminal: bool) -> None:
        trace = self.trace
        if indent < 0 or indent & 3:
            trace.problems.append(Problem(trace.source, number,
                                          f"indentation of {max(indent, 0)} spaces is not a "
                                          "multiple of 4", "ofproto/trace indentation"))
        printed = max(indent, 0) >> 2
        if nonterminal:
            more = bool(printed & 1)
            level = printed - more
        else:
            more = True
            level = printed - 1
            if printed & 1 == 0:
                trace.problems.append(Problem(
                    trace.source, number,
                    "an action at the depth of a last table: indentation does not fit",
                    "ofproto/trace indentation"))
        stack = self.stack
        while len(stack) > 1 and stack[-1][LEVEL] > level:
            stack.pop()
        top = stack[-1]
        if top[LEVEL] != level:
            trace.problems.append(Problem(
                trace.source, number,
                "indentation does not fit the trace tree; attached to the nearest level",
                "ofproto/trace nesting"))
        _attach(node, top, more, stack)


def _attach(node, top: list, more: bool, stack: list[list]) -> None:
    """Put `node` into the open list `top` and open its own list if it has one."""
    cls = node.__class__
    owner = top[OWNER]
    if cls is OfTable or cls is OfBridge or cls is OfBucket:
        prev = top[LAST]
        if cls is OfTable and not more and owner.__class__ is OfTable:
            node.chained = True  # the owner's last act: listed after it, flat
            container = top[LIFT]
        elif prev is not None and prev.__class__ is OfAction:
            if prev.children.__class__ is tuple:
                prev.children = []
            container = prev.children
        else:
            container = owner.children
        container.append(node)
        top[LAST] = node
        if cls is OfBucket:
            stack.append([node, top[LEVEL] + 2, container, None])
        else:
            stack.append([node, top[LEVEL] + 2 * more, container, None])
        return
    if owner.children.__class__ is tuple:
        owner.children = []
    owner.children.append(node)
    top[LAST] = node
    if cls is OfThaw:
        stack.append([node, top[LEVEL] + 2 * more, owner.children, None])


# --- the tree, from what the lines mean (ovn-detrace < 24.09) -------------------------------

_RESUBMIT_TARGET = re.compile(r"(?:resubmit\([^,()]*,(\d+)(?:,ct)?\)|goto_table:(\d+))\Z")


# Actions that send the packet somewhere: after one, a call is likely over.
_SENDS = ("output", "drop", "NORMAL", "FLOOD", "ALL", "IN_PORT", "LOCAL", "controller",
          "CONTROLLER", "enqueue")
_SENDS_FIRST = frozenset(word[0] for word in _SENDS)
_MOVE_FROM_REG = re.compile(r"move:(NXM_NX_X*REG\d+)\[")


def _leads_to(text: str, table: int) -> bool:
    """Whether an action line is a resubmit or goto_table to `table`."""
    if text[:1] not in "rg":
        return False
    m = _RESUBMIT_TARGET.match(text)
    return m is not None and int(m.group(1) or m.group(2)) == table


class _Semantic:
    """Rebuild a pass's tree from text without indentation.

    A table line follows the action that led to it (the open list whose last
    action is `resubmit(,N)`/`goto_table:N` for its N), a bridge title the
    output that crossed the patch port, a bucket its group; `-> `/`>> ` lines
    belong to the list of the line before them.  What no line says is where
    a called table's actions end and its caller's resume.  An action goes to
    the innermost table still open (a table's first action is always its
    own; a table closes after `drop`, its empty action list, or a `No
    match.`'s `drop`), unless it reads back what a caller set up:
      - `pop:` goes to the innermost list with more pushes than pops;
      - `move:NXM_NX_REGn[b]->...` to the caller that cleared regn's bit b
        just before its resubmit (OVN's result actions: chk_lb_hairpin,
        check_in_port_sec, lookup_arp...);
      - `set_field:V->R` after a call that sent the packet, to a table that
        matched on a register it overwrote before the call (a multicast
        flood's loop over members).
    This rebuilds every OVN sample exactly (10698 nodes, checked against the
    indented text in tests) and misplaces 2 of 940 nodes of OVS's own test
    outputs (a learned flow's action after a call is taken as the callee's).
    The tail tables are then listed flat as the indented parser lists them.
    """

    def __init__(self, trace: Trace, pass_: OfPass, notes: NoteHandler | None):
        self.trace = trace
        self.pass_ = pass_
        self.notes = notes
        self.stack: list[list] = [[pass_, 0, None, None]]
        self.bridge: str | None = None

    def run(self, texts: list[str], i: int, first: int) -> int:
        n = len(texts)
        stack = self.stack
        notes = self.notes
        run = notes.run if notes is not None else None
        trace = self.trace
        while i < n:
            raw = texts[i]
            text = raw.lstrip(" ")
            c = text[:1]
            if c == "*" and run is not None:
                # ovn-detrace's notes, most of its lines: a run of them in one loop.
                while True:
                    note = _new(DetraceNote)  # (every field set: see _new)
                    note.text = text
                    note.line = first + i
                    note.children = EMPTY
                    note.indent = len(raw) - len(text)
                    note.classified = None
                    run.append(note)
                    i += 1
                    if i == n:
                        break
                    raw = texts[i]
                    text = raw.lstrip(" ")
                    if text[:1] != "*":
                        break
                continue
            number = first + i
            body = text.rstrip(" ")
            if c in _ACTION_FIRST or (c in _WORD_FIRST and not body.startswith(_WORDS[c])):
                # A plain action: the bulk of the text.
                node = _new(OfAction)  # (every field set: see _new)
                node.text = body
                node.line = number
                node.children = node.annotations = EMPTY
                if notes is not None and (run or "output:" in body or "cookie" in body):
                    notes.line(raw, node, number)  # (only these lines matter to it)
                top = stack[-1]
                owner = top[OWNER]
                if owner.__class__ is OfThaw and len(stack) > 1:
                    stack.pop()  # a thaw's list holds only what it restores
                    top = stack[-1]
                    owner = top[OWNER]
                kids = owner.children
                closed = False
                if kids and kids[-1].text == "drop":
                    closed = self._close_finished()
                    top = stack[-1]
                    kids = top[OWNER].children
                if c in "pms" and kids and len(stack) > 2 and body[:4] in _RETURNS and (
                        c != "s" or closed or kids[-1].__class__ is not OfAction
                        or kids[-1].text[:1] in _SENDS_FIRST
                        and kids[-1].text.startswith(_SENDS)):
                    # (a table's first action is its own; a set_field returns only
                    # after a call that sent the packet: see _returns_to)
                    self._returns_to(body, closed)
                    top = stack[-1]
                    kids = top[OWNER].children
                if kids.__class__ is tuple:
                    kids = top[OWNER].children = []
                kids.append(node)
                top[LAST] = node
                i += 1
                continue
            if c in _DIGITS:
                node = table_node(body, number, self.bridge)
                if node is not None:
                    if notes is not None:
                        notes.table(raw, node, number)
                    self._table(node)
                    i += 1
                    continue
            if not body:
                j = i + 1
                while j < n and not texts[j].strip():
                    j += 1
                if j < n and _bridge_name(texts[j].strip()) is not None:
                    if notes is not None:
                        notes.flush_point("")
                    i += 1
                    continue
                return i
            if raw[:1] != " " and body.startswith(_TREE_ENDS):
                return i
            if body == ELISION:
                _note_elision(trace, number)
                i += 1
                continue
            name = _bridge_name(body) if c == "b" else None
            if name is not None and i + 1 < n and texts[i + 1].strip() == "-" * len(body):
                node = OfBridge(body, number, name=name)
                self.bridge = name
                if notes is not None:
                    notes.line(raw, node, number)
                if len(stack) == 1:
                    _attach(node, stack[0], True, stack)
                else:
                    self._nested(node)
                i += 2
                continue
            node = leaf_node(body, number)
            if notes is not None:
                notes.line(raw, node, number)
            cls = node.__class__
            if cls is OfBucket:
                self._bucket(node)
            elif cls is OfThaw:
                self._thaw(node)
            elif cls is OfAction:  # (a line the fast path did not take: "...", junk)
                top = stack[-1]
                if top[OWNER].children.__class__ is tuple:
                    top[OWNER].children = []
                top[OWNER].children.append(node)
                top[LAST] = node
            else:  # detail, warning, error: the list of the line before
                top = stack[-1]
                if top[OWNER].children.__class__ is tuple:
                    top[OWNER].children = []
                top[OWNER].children.append(node)
                top[LAST] = node
            i += 1
        return i

    def _returns_to(self, body: str, closed: bool) -> None:
        """Pop to the caller an action reads back from: `pop:F` goes to the list
        that pushed; `move:NXM_NX_REGn[b]->...` to the one that cleared
        regn's bit b just before its resubmit (how OVN returns a result,
        lib/actions.c encode_result_action__)."""
        stack = self.stack
        if body.startswith("pop:"):
            # The OpenFlow stack is one LIFO: a pop goes to the innermost list
            # with more pushes than pops (OVN balances them within a flow).
            for pos in range(len(stack) - 1, 0, -1):
                balance = 0
                for kid in stack[pos][OWNER].children:
                    text = kid.text
                    if text[:1] == "p":  # (a walk down the whole stack: cheap for the rest)
                        balance += (text[:5] == "push:") - (text[:4] == "pop:")
                if balance > 0:
                    del stack[pos + 1:]
                    return
            return
        if body.startswith("set_field:"):
            # A loop over members (a multicast group's flood): a table that
            # overwrites a register it matched on, then calls; once a call has
            # sent the packet, it sets the registers for the next member.
            last = stack[-1][OWNER].children[-1]
            if not (closed or last.__class__ is not OfAction or last.text.startswith(_SENDS)):
                return
            value, _, reg = body[10:].partition("->")
            if "/" in value or not reg:
                return
            # (a walk down the whole stack: the cheap tests first)
            for pos in range(len(stack) - 2, 0, -1):
                owner = stack[pos][OWNER]
                kids = owner.children
                if owner.__class__ is not OfTable or len(kids) < 2 or not kids[-1].children:
                    continue
                written = set()
                k = len(kids) - 2
                while k >= 0 and kids[k].text.startswith("set_field:") \
                        and "/" not in kids[k].text.partition("->")[0]:
                    written.add(kids[k].text.rpartition("->")[2])
                    k -= 1
                if reg not in written:
                    continue
                match = owner.match
                if not match or any(map(str.startswith, map(_TEXT, kids), repeat("clone("))):
                    continue
                if any(f.partition("=")[0] in written for f in match.split(",")):
                    del stack[pos + 1:]
                    return
            return
        else:
            m = _MOVE_FROM_REG.match(body)
            if not m:
                return
            target = "->" + m.group(1).lower().replace("nxm_nx_", "")
            prefix = "set_field:0/"
        # (a function's caller is a few lists down: do not walk a whole chain)
        for pos in range(len(stack) - 2, max(len(stack) - 10, 0), -1):
            kids = stack[pos][OWNER].children
            if len(kids) < 2 or not kids[-1].children:
                continue
            if kids[-2].text.startswith(prefix) and kids[-2].text.endswith(target):
                del stack[pos + 1:]
                return

    def _close_finished(self) -> bool:
        """Close the tables that cannot have more actions; whether one was."""
        stack = self.stack
        closed = False
        while len(stack) > 1:
            owner = stack[-1][OWNER]
            kids = owner.children
            if owner.__class__ is OfTable and kids and kids[-1].text == "drop" and (
                    owner.no_match or len(kids) == 1):
                stack.pop()
                closed = True
                continue
            break
        return closed

    def _table(self, node: OfTable) -> None:
        stack = self.stack
        top = stack[-1]
        prev = top[LAST]
        if prev is not None and prev.__class__ is OfAction and prev.text[:10] == "resubmit(,":
            text = node.text
            if prev.text == "resubmit(," + text[:text.find(".")] + ")":
                # The common case: the table the last action resubmitted to.
                if prev.children.__class__ is tuple:
                    prev.children = []
                prev.children.append(node)
                top[LAST] = node
                stack.append([node, 0, prev.children, None])
                return
        self._close_finished()
        top = stack[-1]
        prev = top[LAST]
        if prev is not None and prev.__class__ is OfThaw and prev.text.startswith("Resuming"):
            stack.pop()  # the thaw's list: the table belongs to the bridge
            _attach(node, stack[-1], True, stack)
            return
        # The open list whose last action leads to this table.
        for pos in range(len(stack) - 1, 0, -1):
            last = stack[pos][LAST]
            if last is not None and last.__class__ is OfAction \
                    and _leads_to(last.text, node.table):
                del stack[pos + 1:]
                _attach(node, stack[pos], True, stack)
                return
        _attach(node, top, True, stack)

    def _nested(self, node) -> None:
        """A patch port's bridge: under the last action printed."""
        _attach(node, self.stack[-1], True, self.stack)

    def _bucket(self, node: OfBucket) -> None:
        stack = self.stack
        for pos in range(len(stack) - 1, -1, -1):
            last = stack[pos][LAST]
            if last is not None and last.__class__ is OfAction and last.text.startswith("group:"):
                del stack[pos + 1:]
                break
            if last is not None and last.__class__ is OfBucket:
                # the next bucket of the same group
                del stack[pos + 1:]
                top = stack[pos]
                group = _group_of(top, last)
                if group is not None:
                    group.children.append(node)
                    top[LAST] = node
                    stack.append([node, 0, group.children, None])
                    return
                break
        _attach(node, stack[-1], True, stack)

    def _thaw(self, node: OfThaw) -> None:
        stack = self.stack
        top = stack[-1]
        if node.text == "thaw" or top[OWNER].__class__ is not OfThaw:
            _attach(node, top, True, stack)
            if node.text != "thaw":
                stack.pop()  # leaves of a thaw list hold nothing
            return
        top[OWNER].children.append(node)
        top[LAST] = node


def _group_of(top: list, bucket: OfBucket):
    for kid in reversed(top[OWNER].children):
        if kid.__class__ is OfAction and bucket in kid.children:
            return kid
    return None


def lift_tails(items: list) -> None:
    """List each table that is the last thing its table did after it, flat
    (what the indented parser does as it reads): for text without indentation."""
    i = 0
    while i < len(items):
        node = items[i]
        kids = node.children
        if kids:  # (most nodes are actions, with none)
            if node.__class__ is OfTable:
                last = kids[-1]
                tail = None
                if last.__class__ is OfTable:
                    tail = kids.pop()
                elif last.__class__ is OfAction and len(last.children) == 1 \
                        and last.children[0].__class__ is OfTable:
                    tail = last.children[0]
                    last.children = ()
                if tail is not None:
                    tail.chained = True
                    items.insert(i + 1, tail)
            if kids and kids.__class__ is list:
                for kid in kids:
                    if kid.children:  # (seldom, once the tail is out: a call mid-list)
                        lift_tails(kids)
                        break
        i += 1


def finish_semantic(trace: Trace) -> None:
    for pass_ in trace.roots:
        lift_tails(pass_.children)


__all__ = ["FORMAT", "parse", "parse_outputs", "parse_output", "table_node", "leaf_node",
           "NoteHandler", "finish_semantic", "lift_tails"]

