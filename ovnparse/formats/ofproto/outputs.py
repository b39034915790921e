"""A text cut into ofproto/trace outputs, an output into its passes.

An output is a `Flow:` line, the tree of trace nodes, `Final flow:`,
`Megaflow:`, `Datapath actions:` (one pass), then one more pass for each
recirculation it queued, under a header framed by rows of `=`.  This module
reads everything but the trees, which indented.py, stripped.py and legacy.py
read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import cast

from ...errors import Problem
from ...lines import Block
from ...model import OfPass, OfReply, Trace
from ..sniff import HEADING_STARTS, OFPROTO_REPLY, heading_start, is_elision
from .indented import Indented
from .legacy import LEGACY_STARTS, read_legacy
from .nodes import note_elision, read_notes, table_node
from .notes import NO_NOTES, NoteHandler
from .ovs_flow import recircs
from .stripped import Semantic, finish_semantic

FORMAT = "ofproto/trace"

_FINAL = "Final flow: "
_MEGAFLOW = "Megaflow: "
_ACTIONS = "Datapath actions: "
_SUMMARY_STARTS = (_FINAL, _MEGAFLOW, _ACTIONS)
_SUMMARY_BARE = frozenset(s.rstrip() for s in _SUMMARY_STARTS)  # with nothing after
_FAILED = "Translation failed ("
# Lines ofproto_trace__ may print after the datapath actions.
_NOTE_STARTS = (_FAILED, "This flow is handled by the userspace slow path",
                "  - ", "Action execution failed (", ".")
_RESUME_RE = re.compile(r"recirc\((0x[0-9a-fA-F]+)\)(?: - resume conntrack with "
                        r"(?:default )?ct_state=(\S+))?")


def parse(blocks: Iterable[Block], source: str, f_lines: list[int] | None = None
          ) -> Iterator[Trace]:
    """ofproto/trace outputs in the text, one Trace each (streaming).  See
    parse_outputs for `f_lines`."""
    return parse_outputs(blocks, source, FORMAT, NO_NOTES, f_lines)


# --- splitting a text into outputs ------------------------------------------------

def parse_outputs(blocks: Iterable[Block], source: str, fmt: str,
                  notes: NoteHandler, f_lines: list[int] | None = None
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
            start = heading_start(lines, start, prev)
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
                 "Translation failed", "=====", *HEADING_STARTS)


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

def parse_output(texts: list[str], first: int, source: str, fmt: str, cut: bool,
                 notes: NoteHandler = NO_NOTES, margin: str = "",
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
    if _is_reply(texts):
        trace.roots = [OfReply(t.strip(), first + i) for i, t in enumerate(texts) if t.strip()]
        return trace
    stripped = notes.detrace and _is_stripped(texts)
    notes.begin(trace, stripped)
    reader = _Passes(trace, texts, first, notes, margin, stripped, stripped or semantic)
    reader.read()
    notes.end(trace)
    if notes.detrace and reader.tree_problems and not semantic:
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


def _is_reply(texts: list[str]) -> bool:
    """ovs-appctl's error reply instead of a trace (no line of a trace in it)."""
    return not _has_trace_lines(texts) and any(OFPROTO_REPLY.match(t.strip()) for t in texts)


class _Passes:
    """Reads one output's lines into its passes, a line kind a method."""

    def __init__(self, trace: Trace, texts: list[str], first: int, notes: NoteHandler,
                 margin: str, stripped: bool, semantic: bool):
        self.trace = trace
        self.texts = texts
        self.first = first
        self.notes = notes
        self.margin = margin
        self.stripped = stripped  # ovn-detrace's text, stripped
        self.semantic = semantic  # the trees are read from what the lines mean
        self.pass_: OfPass | None = None
        self.tree_problems = 0  # problems the indentation of the trees made

    def read(self) -> None:
        i, n = 0, len(self.texts)
        while i < n:
            after = self._line(i)
            if after <= i:
                # No reader took the line (one that ends a tree where no tree was,
                # `Flow:` cut before its flow...): said and stepped over, never
                # read again (which looped forever)
                self.trace.problems.append(Problem(
                    self.trace.source, self.first + i,
                    f"a line nothing here reads: {self.texts[i].strip()[:60]!r}",
                    "an ofproto/trace line"))
                after = i + 1
            i = after

    def _line(self, i: int) -> int:
        """Read texts[i] (and the lines that go with it); the index of the next line."""
        raw = self.texts[i]
        text = raw.strip(" ")
        number = self.first + i
        if text[:1] == "*" and self.notes.detrace:
            return read_notes(self.texts, i, self.first, self.notes.run)
        if not text:
            self._blank(i, raw)
        elif text.startswith("====="):
            return self._header(i, number)
        elif text.startswith("Flow: ") or text == "Flow:":
            self._flow(raw, text, number)
        elif text.startswith(HEADING_STARTS):
            self._heading(raw, number)
        elif text.startswith(_SUMMARY_STARTS) or text in _SUMMARY_BARE:
            self._summary(raw, text, number)
        elif self.pass_ is not None and self.pass_.datapath_actions is not None:
            self._after_actions(self.pass_, raw, text, number)
        elif text.startswith(_FAILED):
            self._open_pass(number).notes.append(raw)  # a filtered text kept only the last lines
        else:
            return self._tree(i, text, number)
        return i + 1

    def _open_pass(self, number: int, new: bool = False) -> OfPass:
        """The pass lines go to; `new`: one that starts at this line (the
        current one, if nothing is in it yet)."""
        current = self.pass_
        if current is not None and not (new and _has_lines(current)):
            return current
        pass_ = self.pass_ = OfPass("", number, stripped=self.stripped, margin=self.margin)
        self.trace.roots.append(pass_)
        return pass_

    def _blank(self, i: int, raw: str) -> None:
        self.notes.flush_point("")
        if self.notes.detrace and self.pass_ is not None and not _more_lines(self.texts, i + 1):
            self.pass_.notes.append(raw)  # ovn-detrace prints one more empty line

    def _header(self, i: int, number: int) -> int:
        """A recirculation header: `recirc(0x28) - resume conntrack with
        ct_state=new|trk` (and NAT lines) between rows of `=`."""
        pass_ = self._open_pass(number, new=True)
        pass_.header_line = number
        texts = self.texts
        n = len(texts)
        i += 1
        while i < n:
            raw = texts[i]
            if raw.strip(" ").startswith("====="):
                return i + 1
            number = self.first + i
            pass_.header.append(raw)
            self.notes.line(raw, pass_, number)
            m = _RESUME_RE.match(raw.strip())
            if m and pass_.recirc_id is None:
                pass_.recirc_id = m.group(1)
                pass_.ct_state = m.group(2)
                pass_.text, pass_.line = raw.strip(), number
            i += 1
        self.trace.problems.append(Problem(self.trace.source, self.first + n - 1,
                                           "the text ends inside a recirculation header",
                                           "a closing row of '='"))
        return i

    def _heading(self, raw: str, number: int) -> None:
        """`Bridge: br0` or `Packet: ...` (OVS before 2.7): a pass starts here."""
        pass_ = self.pass_
        if pass_ is None or pass_.flow is not None or pass_.children \
                or pass_.datapath_actions is not None:
            pass_ = self._open_pass(number, new=True)
        pass_.heading.append(raw)
        if not pass_.text:
            pass_.text, pass_.line = raw.strip(), number

    def _flow(self, raw: str, text: str, number: int) -> None:
        pass_ = self.pass_
        if pass_ is None or pass_.flow is not None or pass_.children \
                or pass_.datapath_actions is not None:
            pass_ = self._open_pass(number, new=True)
        pass_.flow = text[6:]
        pass_.text, pass_.line = text, number
        trace = self.trace
        if trace.microflow is None and len(trace.roots) == 1:
            trace.microflow = pass_.flow
        self.notes.line(raw, pass_, number)

    def _summary(self, raw: str, text: str, number: int) -> None:
        """`Final flow:`, `Megaflow:` or `Datapath actions:`."""
        pass_ = self.pass_
        if pass_ is None or pass_.datapath_actions is not None:
            pass_ = self._open_pass(number, new=True)
        if text.startswith("Final flow:"):
            if pass_.final_flow is not None:
                self._second(number, "Final flow:")
            pass_.final_flow, pass_.final_flow_line = raw[len(_FINAL):], number
        elif text.startswith("Megaflow:"):
            if pass_.megaflow is not None:
                self._second(number, "Megaflow:")
            pass_.megaflow, pass_.megaflow_line = raw[len(_MEGAFLOW):], number
        else:
            pass_.datapath_actions, pass_.datapath_actions_line = raw[len(_ACTIONS):], number
        self.notes.line(raw, pass_, number)

    def _second(self, number: int, what: str) -> None:
        self.trace.problems.append(Problem(self.trace.source, number,
                                           f"a second {what!r} line in one pass", "one per pass"))

    def _after_actions(self, pass_: OfPass, raw: str, text: str, number: int) -> None:
        """A line after the datapath actions (of `pass_`, the pass being read): the
        tool's notes, or a stray line."""
        if is_elision(text):
            note_elision(self.trace, number)
        elif raw.startswith(_NOTE_STARTS) or text.startswith(_NOTE_STARTS) or (
                text.startswith("- ") and pass_.notes):
            pass_.notes.append(raw)
            self.notes.line(raw, pass_, number)
        else:
            self.trace.problems.append(Problem(
                self.trace.source, number,
                f"unexpected line after the datapath actions: {text[:60]!r}",
                "a recirculation header or the next output's 'Flow:' line"))

    def _tree(self, i: int, text: str, number: int) -> int:
        """The tree of the pass, from texts[i]; the index of the line after it."""
        pass_ = self._open_pass(number)
        trace = self.trace
        if pass_.final_flow is not None or pass_.megaflow is not None:
            trace.problems.append(Problem(
                trace.source, number, f"trace line after 'Final flow:': {text[:60]!r}",
                "the datapath actions"))
        if text.startswith(LEGACY_STARTS):
            return read_legacy(self.texts, i, self.first, pass_)
        if self.semantic:
            return Semantic(trace, pass_, self.notes).run(self.texts, i, self.first)
        before = len(trace.problems)
        i = Indented(trace, pass_, self.notes).run(self.texts, i, self.first)
        self.tree_problems += len(trace.problems) - before
        return i


def _has_lines(pass_: OfPass) -> bool:
    """Whether a line of the text went to the pass."""
    return not (pass_.datapath_actions is None and pass_.final_flow is None
                and pass_.flow is None and not pass_.children and not pass_.header
                and not pass_.heading
                and not pass_.notes and pass_.megaflow is None)


def _more_lines(texts: list[str], start: int) -> bool:
    """Whether a line from texts[start] on is not blank."""
    return any(t.strip() for t in islice(texts, start, None))


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
    """ovn-detrace before OVN 25.09 printed every line stripped: the first tree
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


def _passes(trace: Trace) -> list[OfPass]:
    """The roots of an ofproto/trace: its passes."""
    return cast("list[OfPass]", trace.roots)


def _link_passes(trace: Trace) -> None:
    """Point each resumed pass at the pass whose datapath actions queued it."""
    queued: dict[str, int] = {}
    for index, pass_ in enumerate(_passes(trace)):
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
    last = _passes(trace)[-1]
    if last.datapath_actions is None:
        trace.cut = True
        trace.problems.append(Problem(
            trace.source, trace.last_line,
            "the text ends before the pass's 'Datapath actions:' line",
            "'Final flow:', 'Megaflow:' and 'Datapath actions:' after the bridge sections"))
