"""Parser for `ovn-trace` output: --detailed, --summary, --minimal and --all.

How ovn-trace prints (utilities/ovn-trace.c) decides how it must be read:

* It builds one tree of nodes: pipelines, tables, actions, "transformations"
  (ct_next, ct_lb, clone, LOG, ...), outputs and errors.  Each next table is
  appended as the *last child* of the table before it.
* --detailed (ovntrace_node_print_details) indents a node by (level+more)*4,
  where `more` is true unless the node is the last of its list and is a
  pipeline, table or transformation; its children print at level+2*more.
  So the last non-terminal child prints at its parent's own depth ("tail
  elision"), and indentation alone does not give nesting: the decoder below
  replays that rule.  Pipelines and transformations are titles: a blank line
  before, a row of dashes under.  Trivial tables (match 1, action next;) are
  not printed, so table numbers skip.
* --summary drops tables and packet modifications and prints the rest as
  `name {` ... `};` blocks; --minimal keeps only modifications,
  transformations and errors.  Non-action nodes get a `;` appended.
* --all prints `# Detailed trace.`, `# Summary trace.`, `# Minimal trace.`
  sections after one `# <microflow>` line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from ..errors import Problem
from ..lines import Block, decimal
from ..model import Action, Error, Fork, Log, Modify, Node, Output, Pipeline, Stage, Trace
from .sniff import OVN_TRACE_TABLE, is_elision

FORMAT_DETAILED = "ovn-trace/detailed"
FORMAT_SUMMARY = "ovn-trace/summary"
FORMAT_MINIMAL = "ovn-trace/minimal"


# Notes ovn-trace prints as error nodes although the trace goes on.
ERROR_NOTES = frozenset({
    "/* We assume that this packet is DHCPDISCOVER or DHCPREQUEST. */",
})
# Error nodes that are notes, not the end of the trace: `ovn-trace --ovs`
# lists the OpenFlow flows of each logical flow, or says it found none
# (utilities/ovn-trace.c, trace_openflow).
_NOTE_ERRORS = ("*** no OpenFlow flows", "*** error obtaining flow stats")


def _error(text: str, number: int) -> Error:
    return Error(text, number, fatal=not (text.startswith("/*") or text.startswith(_NOTE_ERRORS)))
# What ovn-trace prints instead of a trace when it cannot start one.
TOOL_ERROR_RE = re.compile(r'(?:ovn-trace: )?(?:unknown datapath "|error parsing flow: |'
                           r'.*: (?:connection|database) )')
FORMAT_ERROR = "ovn-trace/error"

_SECTION_MARKERS = {
    "# Detailed trace.": FORMAT_DETAILED,
    "# Summary trace.": FORMAT_SUMMARY,
    "# Minimal trace.": FORMAT_MINIMAL,
}

# Transformations ovn-trace may print; used where the summary and minimal
# forms print one without children (a leaf line) to tell it from a modification.
FORK_NAMES = frozenset({
    "ct_next", "ct_lb", "ct_lb_mark", "ct_dnat", "ct_snat", "ct_dnat_in_czone",
    "ct_snat_in_czone", "ct_commit_nat", "clone", "arp", "nd_na", "nd_ns",
    "icmp4", "icmp6", "tcp_reset", "sctp_abort", "select",
})

_TABLE_RE = re.compile(r" *(\d+)\. (.*)\Z")
# `%2d. ` then `stage (source): `, `stage: ` or `(source): ` (each optional),
# then the match and `, priority P, uuid U` -- or "no match (implicit drop)".
_STAGE_RE = re.compile(
    r"(?:(?P<table>\d+)\. )?"
    r"(?:(?P<stage>[A-Za-z_]\w*) \((?P<src>[^()]*)\): |(?P<stage2>[A-Za-z_]\w*): "
    r"|\((?P<src2>[^()]*)\): )?"
    r"(?P<head>.*?)(?:, priority (?P<prio>-?\d+)(?:, uuid (?P<uuid>[0-9a-f]+))?)?\Z")
_PIPELINE_RE = re.compile(r"(ingress|egress|multicast)\((.*)\)\Z")
_PIPELINE_ARG_RE = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
_OUTPUT_RE = re.compile(r'/\* output to "((?:[^"\\]|\\.)*)", type "([^"]*)" \*/\Z')
_MODIFY_OUTPUT_RE = re.compile(r'output\("((?:[^"\\]|\\.)*)"\)\Z')
_LOG_RE = re.compile(
    r'LOG: ACL name=(.*?), direction=(\w+), verdict=(\w+), severity=(\w+)'
    r'(?:, packet="(.*)")?\Z')
# A transformation printed as a summary leaf (it had no children), as opposed
# to the action of the same name: `ct_next(ct_state=new|trk)` vs `ct_next;`.
_TRANSFORM_LEAF_RE = re.compile(
    r"ct_next\(ct_state=|ct_[ds]nat(?:_in_czone)?(?:\(ip[46]\.| /\*)"
    r"|ct_commit_nat /\*|ct_lb(?:_mark)? /\*")
_FORK_RE = re.compile(r"([a-z_0-9]+)(?:\((.*)\)|:? ?(.*))\Z")


def is_header(text: str) -> bool:
    """A `# <microflow>` line that starts a trace (not a section marker)."""
    return text.startswith("# ") and text not in _SECTION_MARKERS


def parse(blocks: Iterable[Block], source: str, form: str | None = None) -> Iterator[Trace]:
    """Traces in ovn-trace text, one at a time (streaming: memory per trace).

    A trace starts at a `# <microflow>` line; OVN's own tests strip that line,
    so text before the first one is a trace too.  `--all` output gives three
    traces, one per form, detailed first.  `form` forces one form where the
    text has no section markers (a fragment, or an empty --minimal output).
    """
    texts: list[str] = []
    first = 1
    seen = False
    last_block = None
    for block in blocks:
        last_block = block
        lines = block.lines
        if not texts:
            first = block.first
        prev = 0
        for start in [i for i, t in enumerate(lines) if t and t[0] == "#" and is_header(t)]:
            texts.extend(lines[prev:start])
            prev = start
            if _has_content(texts):
                yield from _parse_chunk(texts, first, False, source, form)
                seen = True
                texts = []
                first = block.first + start
        texts.extend(lines[prev:])
    cut = bool(last_block and last_block.cut)
    if _has_content(texts):
        yield from _parse_chunk(texts, first, cut, source, form)
    elif not seen and form == FORMAT_MINIMAL:
        # ovn-trace --minimal prints nothing at all for a dropped packet.
        last = first + len(texts) - 1
        yield Trace(format=form, source=source, microflow=None,
                    first_line=min(first, last), last_line=max(last, 0))


def _has_content(texts: list[str]) -> bool:
    return any(t.strip() for t in texts)


def _parse_chunk(texts: list[str], first: int, cut: bool, source: str,
                 form: str | None) -> Iterator[Trace]:
    """One trace's lines (numbered from `first`): one Trace per form printed."""
    microflow = None
    start = next(i for i, t in enumerate(texts) if t.strip())
    if is_header(texts[start]):
        microflow = texts[start][2:]
        start += 1
    # Split --all output into its sections: (form or None, first index, end index).
    sections: list[list] = [[None, start, len(texts)]]
    for i in range(start, len(texts)):
        t = texts[i]
        if t[:2] == "# " and t.rstrip() in _SECTION_MARKERS:
            sections[-1][2] = i
            sections.append([_SECTION_MARKERS[t.rstrip()], i + 1, len(texts)])
    if len(sections) > 1 and not _has_content(texts[sections[0][1]:sections[0][2]]):
        sections.pop(0)
    for n, (fmt, lo, hi) in enumerate(sections):
        lines = texts[lo:hi]
        number = first + lo
        last_line = first + max(hi, lo + 1) - 1
        head = next((t for t in lines if t.strip()), None)
        if fmt is None and head is not None and TOOL_ERROR_RE.match(head):
            trace = Trace(format=FORMAT_ERROR, source=source, microflow=microflow,
                          first_line=first, last_line=last_line)
            trace.roots = [Error(t.strip(), number + i) for i, t in enumerate(lines) if t.strip()]
            yield trace
            continue
        # A section of --all output starts at its marker; the microflow line
        # before the first one belongs to all three.
        first_line = first + start - (microflow is not None) if n == 0 else number - 1
        fmt = fmt or form or detect_form(lines)
        parser = parse_detailed if fmt == FORMAT_DETAILED else parse_braces
        trace = Trace(format=fmt, source=source, microflow=microflow,
                      first_line=first_line, last_line=last_line)
        parser(lines, number, trace)
        if cut and n == len(sections) - 1:
            trace.cut = True
            trace.problems.append(Problem(source, last_line,
                                          "the last line has no line end: the text was cut",
                                          "a complete last line"))
        yield trace


def detect_form(lines: list[str]) -> str:
    """Which of the three forms a section without a marker is."""
    head = [t for t in lines[:8] if t.strip() and not is_elision(t)]
    if head:
        first = head[0].strip()
        if first.startswith(("ingress(", "egress(", "multicast(")):
            return FORMAT_SUMMARY if first.endswith(" {") else FORMAT_DETAILED
    for text in lines:
        stripped = text.strip()
        if stripped and (stripped.lstrip("-") == "" or _TABLE_RE.match(stripped)
                         or OVN_TRACE_TABLE.match(stripped)):
            return FORMAT_DETAILED
    return FORMAT_MINIMAL


# --- node construction -------------------------------------------------------

def _pipeline(text: str, number: int) -> Pipeline | None:
    m = _PIPELINE_RE.match(text)
    if not m:
        return None
    args = dict(_PIPELINE_ARG_RE.findall(m.group(2)))
    return Pipeline(text, number, direction=m.group(1), datapath=args.get("dp"),
                    inport=args.get("inport"), outport=args.get("outport"),
                    mcgroup=args.get("mcgroup"))


# What a table with no matching flow prints: OVS 2.6's ovn-trace said "no match".
_NO_MATCH = frozenset({"no match (implicit drop)", "no match"})


def _stage(m: re.Match, text: str, number: int) -> Stage:
    """A table line, from a match of _STAGE_RE."""
    number_, stage, src, stage2, src2, head, prio, uuid = m.groups()
    table = decimal(number_) if number_ is not None else None
    stage = stage or stage2
    src = src or src2
    if prio is not None:
        return Stage(text, number, table=table, stage=stage, source=src,
                     match=head, priority=decimal(prio), lflow=uuid)
    if head in _NO_MATCH:
        return Stage(text, number, table=table, stage=stage, source=src, no_match=True)
    # A table line we do not recognise beyond its number (kept as its match).
    return Stage(text, number, table=table, stage=stage, source=src, match=head)


def _fork(text: str, number: int) -> Fork:
    m = _FORK_RE.match(text)
    name = m.group(1) if m else text
    detail = (m.group(2) if m and m.group(2) is not None
              else (m.group(3) or None) if m else None)
    return Fork(text, number, name=name, detail=detail)


def _log(text: str, number: int) -> Log:
    m = _LOG_RE.match(text)
    if not m:
        return Log(text, number)
    return Log(text, number, acl=m.group(1), direction=m.group(2),
               verdict=m.group(3), severity=m.group(4), packet=m.group(5))


_SPECIAL_LEAF_START = frozenset("*/L")  # "*** ", "/* ...", "LOG: "
# First characters of lines that are not plain actions: table numbers,
# underlines, the '...' of excerpts, and the starts above.
_NOT_ACTION_START = frozenset("0123456789-.*/L")


def _leaf(text: str, number: int, minimal: bool, appended: bool = False) -> Node:
    """A node that has no children: action, output note, error, modification.

    `appended`: the summary form added a ';' to it, so it is not an action.
    """
    if text.startswith("*** ") or text in ERROR_NOTES:
        return _error(text, number)
    if text.startswith("/* "):
        m = _OUTPUT_RE.match(text)
        if m:
            return Output(text, number, port=m.group(1), port_type=m.group(2))
        if text.startswith("/* omitting output"):
            return Output(text, number, omitted=True)
        if text.startswith("/* Replacing type"):
            return Output(text, number)
        if appended:
            return _error(text, number)
    if text.startswith("LOG: "):
        return _log(text, number)
    if minimal:
        name = _FORK_RE.match(text)
        # (`arp.op = 2` is a modification of the packet, `arp {` a transformation)
        if name and name.group(1) in FORK_NAMES \
                and text[len(name.group(1)):][:1] in ("", "(", " ", ":"):
            return _fork(text, number)
        m = _MODIFY_OUTPUT_RE.match(text)
        return Modify(text, number, output_port=m.group(1) if m else None)
    return Action(text, number)


def _titled(text: str, number: int) -> Node:
    """A node printed as a title (pipeline or transformation)."""
    node = _pipeline(text, number)
    if node is not None:
        return node
    if text.startswith("LOG: "):
        return _log(text, number)
    return _fork(text, number)


# --- --detailed ---------------------------------------------------------------

def _without_margin(lines: list[str]) -> list[str]:
    """The lines without the indentation a document gave the whole trace: that
    of its first pipeline title (ovn-trace prints it at the left), when every
    line from there on has it."""
    for k, raw in enumerate(lines):
        if raw[:1] == " " and _PIPELINE_RE.match(raw.lstrip(" ")):
            margin = raw[:len(raw) - len(raw.lstrip(" "))]
            if all(t.startswith(margin) or not t.strip() for t in lines[k:]):
                cut = len(margin)
                return lines[:k] + [t[cut:] for t in lines[k:]]
            return lines
        if raw.strip():
            if _PIPELINE_RE.match(raw):
                return lines
    return lines


def parse_detailed(lines: list[str], first: int, trace: Trace) -> None:
    """Rebuild the node tree from indentation by ovn-trace's printing rule.

    `lines` are the section's lines, the first of them numbered `first`.
    """
    lines = _without_margin(lines)
    root = Node("", 0, trace.roots)
    # Each entry: (node, level its children print at, the list the node is in).
    stack: list[tuple[Node, int, list[Node]]] = [(root, 0, trace.roots)]
    n = len(lines)
    i = 0
    while i < n:
        raw = lines[i]
        body = raw.lstrip(" ")
        i += 1
        # Fast path for the most common line: an action under the open node.
        if body and body[0] not in _NOT_ACTION_START:
            indent = len(raw) - len(body)
            top = stack[-1]
            if (top[1] == (indent >> 2) - 1 and not indent & 3
                    and i < n and lines[i][indent:indent + 1] != "-"):
                top[0].children.append(Action(body.rstrip(), first + i - 1))
                continue
        number = first + i - 1
        text = body.rstrip()
        if not text:
            continue
        if text[:1] in ".…[(<-" and is_elision(text):
            _note_elision(trace, number)
            continue
        indent = len(raw) - len(body)
        # A title is underlined by as many dashes, at the same indentation.
        title = False
        if i < n:
            underline = lines[i]
            title = (underline[indent:indent + 1] == "-"
                     and underline == raw[:indent] + "-" * len(text))
        if title:
            i += 1
            node = _titled(text, number)
        elif (text[0].isdigit() or text[-15:-9] == ", uuid") and (m := _STAGE_RE.match(text)) \
                and (m.group("table") or m.group("uuid")):
            # (a table line; one whose number whoever saved the text left out)
            node = _stage(m, text, number)
            if indent & 3 == 1 and m.group("table") and len(m.group("table")) < 2:
                indent -= 1  # "%2d." pads a one-digit table number (a paste may lose it)
            if not m.group("table") and i < n:
                # where its number stood the column is lost: its actions tell
                following = lines[i]
                indent = max(0, len(following) - len(following.lstrip(" ")) - 4)
        elif i >= n and indent % 4 == 0 and _PIPELINE_RE.match(text):
            # A pipeline title as the very last line: its underline was cut off.
            title = True
            trace.cut = True
            trace.problems.append(Problem(trace.source, number,
                                          "the text ends at a pipeline title",
                                          "its underline and tables"))
            node = _titled(text, number)
        elif text[0] == "-" and set(text) == {"-"}:
            trace.problems.append(Problem(trace.source, number,
                                          "underline without a title",
                                          "a pipeline or transformation title above it"))
            continue
        elif text[0] in _SPECIAL_LEAF_START:
            node = _leaf(text, number, minimal=False)
        else:
            node = Action(text, number)
        if indent % 4:
            trace.problems.append(Problem(
                trace.source, number,
                f"indentation of {indent} spaces is not a multiple of 4",
                "ovn-trace --detailed indentation"))
        level = indent >> 2
        nonterminal = title or node.__class__ is Stage
        if not nonterminal and stack[-1][1] == level - 1:
            stack[-1][0].children.append(node)  # the common case: an action
            continue
        # Attach to the deepest open node whose children print at this depth:
        # `level` for a last non-terminal child, `level - 1` otherwise.
        for pos in range(len(stack) - 1, -1, -1):
            child_level = stack[pos][1]
            if child_level == level - 1 or (nonterminal and child_level == level):
                break
        else:
            pos = _closest(stack, level)
            trace.problems.append(Problem(
                trace.source, number,
                "indentation does not fit the trace tree; attached to the nearest level",
                "ovn-trace --detailed nesting"))
            child_level = stack[pos][1]
        parent, parent_child_level, parent_container = stack[pos]
        del stack[pos + 1:]
        last = nonterminal and child_level == level
        if last and isinstance(node, Stage) and isinstance(parent, Stage):
            container = parent_container  # lift the next-table chain flat
        else:
            container = parent.children
        container.append(node)
        if nonterminal:
            stack.append((node, level if last else level + 1, container))
    _check_complete(trace)


def _closest(stack: list[tuple[Node, int, list[Node]]], level: int) -> int:
    for pos in range(len(stack) - 1, -1, -1):
        if stack[pos][1] <= level:
            return pos
    return 0


# --- --summary and --minimal ----------------------------------------------------

#: the nodes the summary and minimal forms print without a ';'
_UNENDED_LEAF_START = ("*** ", "/* ", "LOG: ")


def parse_braces(lines: list[str], first: int, trace: Trace) -> None:
    """`name {` ... `};` blocks, four spaces a level."""
    minimal = trace.format == FORMAT_MINIMAL
    stack: list[list[Node]] = [trace.roots]
    top = trace.roots
    for number, raw in enumerate(lines, first):
        text = raw.strip()
        if not text:
            continue
        end = text[-1]
        if end == ";" and text != "};":
            body = text[:-1]
            if not body:  # (ovn-trace never prints an empty action)
                trace.problems.append(Problem(trace.source, number, "an empty action ';'",
                                              "an action, a 'name {' or '};' line"))
                continue
            # Non-action nodes get a ';' appended; actions print as they are.
            if minimal or body[0] in _SPECIAL_LEAF_START:
                top.append(_leaf(body, number, minimal, appended=True))
            elif body[0] in "iem" and (pipeline := _pipeline(body, number)) is not None:
                top.append(pipeline)
            elif body[0] == "c" and _TRANSFORM_LEAF_RE.match(body):
                top.append(_fork(body, number))
            else:
                top.append(Action(text, number))
        elif end == "{" and text.endswith(" {"):
            node = _titled(text[:-2], number)
            top.append(node)
            top = node.children
            stack.append(top)
        elif text == "};" or text == "}":
            if len(stack) == 1:
                trace.problems.append(Problem(trace.source, number,
                                              "closing brace with no open block",
                                              "a line ending in ' {' before it"))
            else:
                stack.pop()
                top = stack[-1]
        elif is_elision(text):
            _note_elision(trace, number)
        elif text.startswith(_UNENDED_LEAF_START):
            top.append(_leaf(text, number, minimal))
        else:
            # Every other node of these forms ends in ';', '{' or '}' (seen
            # in every sample and corpus output): a note someone added.
            trace.problems.append(Problem(trace.source, number,
                                          f"not ovn-trace text: {text[:40]!r} skipped",
                                          "a line ending in ';', ' {' or '};'"))
    if len(stack) > 1:
        trace.cut = True
        trace.problems.append(Problem(
            trace.source, first + len(lines) - 1 if lines else trace.last_line,
            f"text ends inside {len(stack) - 1} open block(s)", "'};' closing each block"))


def _note_elision(trace: Trace, number: int) -> None:
    trace.problems.append(Problem(trace.source, number,
                                  "'...': lines were left out here by whoever saved the text"))


def _check_complete(trace: Trace) -> None:
    """Flag a detailed trace whose text stops where the tool would go on."""
    if not trace.roots:
        trace.cut = True
        trace.problems.append(Problem(trace.source, trace.last_line,
                                      "no trace after the microflow line",
                                      "an ingress(...) pipeline"))
