"""Parser for ovnkube-trace output (ovn-kubernetes, go-controller/cmd/ovnkube-trace).

ovnkube-trace runs, for two pods (or a pod and a service, or a pod and an IP),
ovn-trace, `ovs-appctl ofproto/trace` and ovn-detrace inside the ovnkube pods,
searches each output for a string that means "it got there" and prints one
verdict line per run on stdout; everything else goes through klog on stderr
(`I0116 14:20:47.380775   50822 ovnkube-trace.go:693] ...`; lines.py strips
the prefix and records which lines had one).  What it prints:

2022-06 on (`printSuccessOrFailure`; the OpenShift 4.x guide's output):

    <tool>[ (remote)] <direction> indicates success|failure from <A> to <B>

  tool       ovn-trace | ovs-appctl ofproto/trace | ovn-detrace
  direction  source pod to destination pod | destination pod to source pod |
             source pod to service clusterIP (2023-07 on; before: "from source
             pod to service clusterIP") | from pod to IP (ovn-trace, -dst-ip) |
             pod to IP (ofproto/trace) | pod to external IP (ovn-detrace)
  (remote)   interconnect (2023-07 on): the ovn-trace run in the destination's zone

  In colour (green/red, bold) whether or not stdout is a terminal.  At
  -loglevel 1 a klog line follows each verdict: `Search string matched:` or
  `Search string not matched:` and, on the next lines, the search string (it
  may hold newlines: `output:24\\n\\nFinal flow:`).  At -loglevel 2 each tool's
  output comes first, as klog `<tool> <direction> Output:` and then the output
  itself on the next lines (in italics), then a line with only the colour
  reset.  A failure ends the run (os.Exit); a command that fails ends it with
  a klog fatal `<tool> <direction> error <err> stdOut: <stdout>\\n stdErr: ...`.
  `Skipped ovn-detrace due to: "..."` when ovn-detrace cannot run.

2020-11 to 2022-06:

    ovn-trace indicates success from <A> to <B> - matched on <S>
    ovs-appctl ofproto/trace indicates failure from <A> to <B> - <S> not matched

  printed twice: on stdout and again through klog; no direction (the order
  is: [to the service,] A to B, B to A, for ovn-trace then ofproto/trace); no
  verdict for ovn-detrace.  Outputs start on the klog line itself:
  `Source to Destination ovn-trace Output: # udp,...`, `Destination to Source
  ovs-appctl Output: Flow: ...`, `Source to service clusterIP  ovn-trace
  Output: ...`, `Source to Destination ovn-detrace Completed - Output: ...`
  (and `Destination to Source detrace Completed - Output:`, which prints the
  ofproto/trace output again), followed by one empty line.  The run ends with
  `ovn-trace command Completed normally` on stdout.

What this parser yields, in order: each embedded output parsed by the parser
of its tool (PARSERS, so line numbers are those of this file), as soon as its
text ends; then one trace of format "ovnkube-trace" spanning the run, whose
roots are the verdicts (`OvnkubeCheck`), the outputs it found
(`OvnkubeOutput`, with their line ranges and the formats parsed from them)
and the log lines that bear on the result (`OvnkubeMessage`).  The summary
comes after the run's outputs because its verdict needs every line; the
outputs stream.  A file holding several runs (a klog `Maximum command line
arguments` or `Log level set to` line after a run's verdicts or outputs
starts the next) gives one summary per run.
Trace text outside any announced output (a pasted excerpt) is parsed as
what it looks like, and said so.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from typing import Any

from ..errors import Problem
from ..lines import Block
from ..model import OvnkubeCheck, OvnkubeMessage, OvnkubeOutput, Trace
from .detect import detect
from .segment import Parsers
from .sniff import CHECK_RE, ELISION_RE, OLD_LABEL, OUTPUT_NEW, OUTPUT_OLD, SEARCH, TOOL_NAMES

FORMAT = "ovnkube-trace"

# Tool names as printed -> the format (PARSERS key) of their output.
TOOLS = {
    "ovn-trace": "ovn-trace",
    "ovs-appctl ofproto/trace": "ofproto/trace",
    "ovs-appctl": "ofproto/trace",
    "ovn-detrace": "ovn-detrace",
    "detrace": "ovn-detrace",
}
# The parsers of these take the indices of an output's lines that start with "F".
_OPENFLOW = frozenset({"ofproto/trace", "ovn-detrace"})
# Directions as printed -> one name each.
DIRECTIONS = {
    "source pod to destination pod": "source pod to destination pod",
    "destination pod to source pod": "destination pod to source pod",
    "source pod to service clusterIP": "source pod to service clusterIP",
    "from source pod to service clusterIP": "source pod to service clusterIP",
    "from pod to IP": "pod to IP",
    "pod to IP": "pod to IP",
    "pod to external IP": "pod to IP",
    # 2020-2022 output labels
    "Source to Destination": "source pod to destination pod",
    "Destination to Source": "destination pod to source pod",
    "Source to service clusterIP": "source pod to service clusterIP",
}

_ERROR_NEW = re.compile(
    rf"(?P<tool>{TOOL_NAMES})(?P<remote> \(remote\))? (?P<dir>.+?) error (?P<err>.*?) "
    r"stdOut: ?(?P<first>.*)\Z")
_ERROR_OLD = re.compile(
    rf"(?P<dir>{OLD_LABEL}) +(?P<tool>ovn-trace|ovs-appctl|ovn-detrace) error (?P<err>.*?) "
    r"stdOut: ?(?P<first>.*)\Z")
# 2020-2022: `pip3 install` of ovn-detrace's dependencies failed.
_ERROR_INSTALL = re.compile(r"(?P<tool>ovn-detrace) error (?P<err>.*?) stdOut: ?(?P<first>.*)\Z")
_MESSAGES = [(topic, re.compile(rx)) for topic, rx in (
    ("start", r"Maximum command line arguments set to: ?(?P<detail>.*)\Z"),
    ("loglevel", r"Log level set to: ?(?P<detail>.*)\Z"),
    ("skipped", r"Skipped ovn-detrace due to: (?P<detail>.*)\Z"),
    ("service", r"[Uu]sing pod (?P<detail>\S+ in service \S+) to test against\s*\Z"),
    ("egress", r"out on node (?P<detail>.*?)\s*\Z"),
    ("completed", r"ovn-trace command Completed normally\s*\Z"),
    ("usage", r"Usage of (?P<detail>\S+):\s*\Z"),
    ("install", r"[Ii]nstall ovn-detrace (?:dependencies )?[Oo]utput: ?(?P<detail>.*)\Z"),
    ("fatal", r"(?:Failed to get (?:information|database)|Failed dumping|Usage: |"
              r"Both pods cannot be on Host Network|Pod cannot be on Host Network|"
              r"Pod src IP address family|Unexpected failure matching regex|"
              r"Could not determine|\s*Unexpected error|fatal: cannot|"
              r"Cannot find ovnkube pods|execInPod\(\) failed|error adding to scheme)"),
)]
# _MESSAGES a line can match, by its first character (in _MESSAGES' order):
# all but "fatal" start with a letter of their own.
_FIRSTS = {"start": "M", "loglevel": "L", "skipped": "S", "service": "Uu", "egress": "o",
           "completed": "o", "usage": "U", "install": "Ii", "fatal": None}


def _may_start(topic: str, c: str) -> bool:
    firsts = _FIRSTS[topic]
    return firsts is None or c in firsts


_MESSAGES_ANY_FIRST = [(t, rx) for t, rx in _MESSAGES if _FIRSTS[t] is None]
_MESSAGES_BY_FIRST = {c: [(t, rx) for t, rx in _MESSAGES if _may_start(t, c)]
                      for c in "".join(f for f in _FIRSTS.values() if f)}
# Lines that start a run: a file may hold several runs one after another.
_RUN_STARTS = frozenset({"start", "loglevel"})
# What documents put where they cut lines out.
# First characters of the lines that end an output (see _ends_output).
_ENDERS = frozenset("oSDLuUIi")
_ENDERS_OR_F = _ENDERS | {"F"}
# How a line that one of those regexes takes starts (a trace's `Datapath actions:`
# or `ingress(dp=...)` line is told from them without running them).
_ENDER_STARTS = ("ovn-trace", "ovs-appctl ofproto/trace", "ovn-detrace", "Source to ",
                 "Destination to Source", "Search string ", "Log level set to",
                 "Skipped ovn-detrace due to: ", "Using pod ", "using pod ", "Usage of ",
                 "Install ovn-detrace ", "install ovn-detrace ")
# An old-format search string that goes on over two more lines.
_OUTPUT_PORT_END = re.compile(r"output:\w+\Z")
_DETAIL_LINES = 200  # a message keeps at most this many further lines


class _Open:
    """An output being read: the announcing line and the lines so far."""

    __slots__ = ("tool", "direction", "remote", "text", "line", "first", "lines",
                 "until_stderr", "f_lines")

    def __init__(self, tool, direction, remote, text, line, first, lines, until_stderr=False):
        self.tool = tool
        self.direction = direction
        self.remote = remote
        self.text = text
        self.line = line
        self.first = first
        self.lines = lines
        self.until_stderr = until_stderr
        # Indices of its lines that start with "F" (the OpenFlow parsers look for
        # `Flow:` lines there; the reader looks at each line's first character
        # anyway), or None when not kept.
        self.f_lines = None if until_stderr else [k for k, t in enumerate(lines) if t[:1] == "F"]


def _direction(printed: str | None) -> str | None:
    if printed is None:
        return None
    printed = printed.strip()
    return DIRECTIONS.get(printed, printed)


def parse(blocks: Iterable[Block], source: str, *, parsers: Parsers) -> Iterator[Trace]:
    """The traces in an ovnkube-trace printout: embedded ones first, then the
    summary.  `parsers`: the registry (registry.PARSERS) its embedded outputs
    are read with."""
    reader = _Reader(source, parsers)
    last = None
    for block in blocks:
        last = block
        yield from reader.feed_block(block)
    yield from reader.finish(bool(last and last.cut))


class _Reader:
    def __init__(self, source: str, parsers: Parsers):
        self.source = source
        self.parsers = parsers
        self.trace = Trace(format=FORMAT, source=source, microflow=None,
                           first_line=0, last_line=0)
        self.open: _Open | None = None
        # Where lines that continue a message go: None, or (kind, node) (the node
        # of a kind: a check for "search" and "final", a message or check for
        # "message" and "error", None for "ignore").
        self.cont: tuple[str, Any] | None = None
        self.pending: OvnkubeOutput | None = None  # an output no verdict has judged yet
        self.last_check: OvnkubeCheck | None = None
        self.last_text = ""  # last non-blank line
        self.last_number = 0

    # -- helpers ----------------------------------------------------------------

    def problem(self, line: int, message: str, expected: str | None = None) -> None:
        self.trace.problems.append(Problem(self.source, line, message, expected))

    def add(self, node) -> None:
        self.trace.roots.append(node)

    def _ends_output(self, text: str, klog: bool, until_stderr: bool) -> bool:
        """Whether a line ends the output being read (klog lines always do;
        `until_stderr`: the output of a tool's error, which its ` stdErr:` line ends)."""
        if klog:
            return True
        if until_stderr and text.startswith(" stdErr:"):
            return True
        if not text or text[0] not in _ENDERS or not text.startswith(_ENDER_STARTS):
            return False
        return bool(CHECK_RE.match(text) or OUTPUT_NEW.match(text) or OUTPUT_OLD.match(text)
                    or SEARCH.match(text) or _ERROR_NEW.match(text) or _ERROR_OLD.match(text)
                    or any(rx.match(text) for topic, rx in _MESSAGES
                           if topic not in ("egress", "fatal")))

    # -- the line loop ------------------------------------------------------------

    def feed_block(self, block: Block) -> Iterator[Trace]:
        lines, klog, first = block.lines, block.klog, block.first
        if not self.trace.first_line:
            self.trace.first_line = first
        klog_at = sorted(k - first for k in klog)  # indices of the klog lines
        i, n = 0, len(lines)
        while i < n:
            out = self.open
            if out is not None:
                # The bulk of the text: a tool's output, up to the line that ends it.
                j = self._output_end(lines, i, klog_at, out)
                out.lines.extend(lines[i:j])
                i = j
                if i == n:
                    break
                yield from self.close(False)
            number, text = first + i, lines[i]
            i += 1
            if not text.strip():
                self._blank()
                continue
            self.last_text = text
            yield from self._line(number, text, number in klog)
        if n:
            self.last_number = first + n - 1

    def _output_end(self, lines: list[str], i: int, klog_at: list[int], out: _Open) -> int:
        """Index of the line from lines[i] on that ends the output being read
        (a klog line, or one _ends_output takes), or len(lines).  Notes the
        lines before it that start with "F" in out.f_lines."""
        k = bisect_left(klog_at, i)
        stop = klog_at[k] if k < len(klog_at) else len(lines)
        if out.until_stderr:
            for j in range(i, stop):
                if self._ends_output(lines[j], False, True):
                    return j
            return stop
        # (the bulk of an ovnkube-trace log: a cheap look at each line)
        f_lines = out.f_lines
        base = len(out.lines) - i  # (the lines from i on go after out.lines)
        for j, text in enumerate(lines[i:stop], i):  # (islice would step to i)
            c = text[:1]
            if c in _ENDERS_OR_F:
                if c == "F":
                    f_lines.append(base + j)
                elif self._ends_output(text, False, False):
                    return j
        return stop

    def _blank(self) -> None:
        cont = self.cont
        if cont is None:
            return
        kind, node = cont
        if kind == "search":
            node.search = (node.search or "") + "\n"
        elif kind in ("message", "error"):
            field = "detail" if kind == "message" else "error"
            value = getattr(node, field)
            if value is not None and value.count("\n") < _DETAIL_LINES:
                setattr(node, field, value + "\n")

    def _line(self, number: int, text: str, klog: bool) -> Iterator[Trace]:
        cont = self.cont
        if cont is not None and cont[0] == "final":
            # `... matched on output:24` then "" and "Final flow:" (2020-2022).
            check = cont[1]
            self.cont = cont = None
            if text.rstrip() in ("Final flow:", "Final flow: not matched"):
                if not check.search.endswith("Final flow:"):
                    check.search += "\n\nFinal flow:"
                return
        # (each regex is tried only on a line with its first character and a
        # word it cannot match without: most would scan the line to fail)
        c = text[0]
        m = CHECK_RE.match(text) if c == "o" and " indicates " in text else None
        if m:
            self._check(m, number, text)
            return
        m = SEARCH.match(text) if c == "S" else None
        if m:
            self._search(m, number, text)
            return
        m = (OUTPUT_NEW.match(text) or OUTPUT_OLD.match(text)) \
            if c in "oSD" and " Output:" in text else None
        if m:
            self._output(m, number, text)
            return
        m = (_ERROR_NEW.match(text) or _ERROR_OLD.match(text) or _ERROR_INSTALL.match(text)) \
            if c in "oSD" and "stdOut:" in text else None
        if m:
            yield from self._error(m, number, text)
            return
        if ELISION_RE.match(text):
            self.cont = None
            self.add(OvnkubeMessage(text.strip(), number, topic="elided"))
            self.problem(number, f"{text.strip()!r}: lines were left out here by whoever "
                                 "saved the text")
            return
        for topic, rx in _MESSAGES_BY_FIRST.get(c, _MESSAGES_ANY_FIRST):
            m = rx.match(text)
            if m:
                if topic in _RUN_STARTS and any(
                        isinstance(n, (OvnkubeCheck, OvnkubeOutput)) for n in self.trace.roots):
                    yield from self._next_run(number)  # another run, saved after this one
                detail = m.groupdict().get("detail")
                node = OvnkubeMessage(text.strip(), number, topic=topic,
                                      detail=detail.strip() or None if detail else None)
                self.add(node)
                self.cont = ("message", node)
                return
        if klog:
            self.cont = ("ignore", None)  # debug chatter (-loglevel 5): not kept
            return
        if cont is not None:
            self._continue(cont, text)
            return
        # Text that no log line announced: a pasted excerpt of a tool's output?
        self.open = _Open(None, None, False, "", number, number, [text])

    def _continue(self, cont, text: str) -> None:
        kind, node = cont
        if kind == "search":
            node.search = text.strip() if node.search is None else node.search + "\n" + text.strip()
        elif kind in ("message", "error"):
            field = "detail" if kind == "message" else "error"
            value = getattr(node, field)
            if value is None:
                setattr(node, field, text.strip())
            elif value.count("\n") < _DETAIL_LINES:
                setattr(node, field, value + "\n" + text.strip())

    # -- what the lines say ---------------------------------------------------------

    def _check(self, m: re.Match, number: int, text: str) -> None:
        prev = self.trace.roots[-1] if self.trace.roots else None
        if isinstance(prev, OvnkubeCheck) and prev.text == text.strip() and prev.echo_line is None:
            prev.echo_line = number  # 2020-2022: the same verdict again, through klog
            self.cont = ("final", prev) if prev.search and (
                _OUTPUT_PORT_END.search(prev.search) or prev.search.endswith("Final flow:")) \
                else None
            return
        result = m["result"]
        rest = m["rest"]
        search = None
        if rest is not None:
            if result == "success":
                search = rest[len("matched on "):] if rest.startswith("matched on ") else rest
            else:
                search = rest[:-len(" not matched")] if rest.endswith(" not matched") else rest
        check = OvnkubeCheck(text.strip(), number, tool=TOOLS[m["tool"]],
                             direction=_direction(m["dir"]), result=result, src=m["src"],
                             dst=m["dst"], remote=bool(m["remote"]), search=search)
        self._judge(check)
        self.add(check)
        self.last_check = check
        self.cont = ("final", check) if search and _OUTPUT_PORT_END.search(search) else None

    def _judge(self, check: OvnkubeCheck) -> None:
        """Link a verdict to the output it was made on (the one just before it)."""
        out = self.pending
        self.pending = None
        if out is None or out.tool != check.tool or out.remote != check.remote:
            return
        if check.direction is not None and out.direction not in (None, check.direction):
            return
        check.output = [out.first_line, out.last_line]
        if check.direction is None:
            check.direction = out.direction

    def _search(self, m: re.Match, number: int, text: str) -> None:
        result = "failure" if m["not"] else "success"
        check: OvnkubeCheck | None
        if self.pending is not None:
            # No verdict line since the last output (stdout not captured):
            # the search line is all there is.
            out = self.pending
            assert out.tool is not None  # (pending: an output of a tool it names)
            check = OvnkubeCheck(text.strip(), number, tool=out.tool, direction=out.direction,
                                 result=result, remote=out.remote, inferred=True)
            self._judge(check)
            self.add(check)
            self.last_check = check
        else:
            check = self.last_check
            if check is None or check.search is not None:
                self.problem(number, "a search-string line that follows no verdict",
                             "'<tool> ... indicates success|failure from A to B' before it")
                self.cont = ("ignore", None)
                return
            if check.result != result:
                self.problem(number, f"the search string line says {result}, the verdict "
                                     f"at line {check.line} {check.result}")
        check.search = m["rest"] or None
        self.cont = ("search", check)

    def _output(self, m: re.Match, number: int, text: str) -> None:
        self.cont = None
        groups = m.groupdict()
        first = groups.get("first")
        lines = [first] if first else []
        self.open = _Open(TOOLS[m["tool"]], _direction(m["dir"]), bool(groups.get("remote")),
                          text.strip() if first is None else text[:m.start("first")].strip(),
                          number, number if first else number + 1, lines)

    def _error(self, m: re.Match, number: int, text: str) -> Iterator[Trace]:
        groups = m.groupdict()
        tool = TOOLS[m["tool"]]
        check = OvnkubeCheck(text[:m.start("first")].strip(), number, tool=tool,
                             direction=_direction(groups.get("dir")), result="error",
                             remote=bool(groups.get("remote")), error=m["err"])
        self.pending = None
        self.add(check)
        self.last_check = check
        self.cont = ("error", check)
        if m["first"].strip():
            # The command's stdout, up to the ` stdErr:` line.
            self.open = _Open(tool, check.direction, check.remote, check.text, number, number,
                              [m["first"]], until_stderr=True)
        return iter(())

    # -- outputs ------------------------------------------------------------------------

    def close(self, cut: bool) -> Iterator[Trace]:
        """Hand the output just read to its tool's parser."""
        out, self.open = self.open, None
        assert out is not None  # (called while an output is open)
        lines = out.lines
        end = len(lines)
        if end and not lines[end - 1].strip():
            end -= 1  # the line ovnkube-trace ends each output with (the colour reset)
        elided = None
        text_end = end
        while text_end and not lines[text_end - 1].strip():
            text_end -= 1
        while text_end and ELISION_RE.match(lines[text_end - 1]):
            elided = out.first + text_end - 1
            end = text_end = text_end - 1
            while text_end and not lines[text_end - 1].strip():
                end = text_end = text_end - 1
        if not text_end:
            end = 0
        elision = None
        if elided is not None:
            self.problem(elided, "the output was cut here by whoever saved the text "
                                 f"({lines[elided - out.first].strip()!r})")
            elision = OvnkubeMessage(lines[elided - out.first].strip(), elided, topic="elided")
            cut = True
        del lines[end:]  # (the output's own list: no copy)
        if out.f_lines and out.f_lines[-1] >= end:
            out.f_lines = [k for k in out.f_lines if k < end]
        yield from self._parse_output(out, lines, cut)
        if elision is not None:
            self.add(elision)

    def _parse_output(self, out: _Open, lines: list[str], cut: bool) -> Iterator[Trace]:
        end = len(lines)
        node = OvnkubeOutput(out.text, out.line, tool=out.tool, direction=out.direction,
                             remote=out.remote, first_line=out.first,
                             last_line=out.first + max(end, 1) - 1)
        fmt = out.tool
        if fmt is None:
            fmt = _looks_like(lines)
            if fmt is None:
                first = (lines or [""])[0].strip()[:60]
                self.problem(out.first, f"not ovnkube-trace output: {first!r}",
                             "ovnkube-trace's verdict and log lines, or a tool output that "
                             "a '<tool> <direction> Output:' line announces")
                return
            self.problem(out.first, f"lines {out.first}-{node.last_line} are {fmt} output "
                                    "that no 'Output:' line announces: read as such")
        self.add(node)
        if out.until_stderr:
            assert self.last_check is not None  # (the error check that opened it: _error)
            self.last_check.output = [node.first_line, node.last_line]
        elif out.tool is not None:
            self.pending = node
        if not end:
            if not out.until_stderr:
                self.problem(out.line, f"{out.tool} printed nothing")
            return
        if fmt not in self.parsers:
            self.problem(out.first, f"no parser for {fmt} output yet: lines "
                                    f"{out.first}-{node.last_line} not read")
            return
        node.format = fmt
        try:
            block = [Block(out.first, lines, cut)]
            if out.f_lines is not None and fmt in _OPENFLOW:
                traces = self.parsers[fmt](block, self.source, f_lines=out.f_lines)
            else:
                traces = self.parsers[fmt](block, self.source)
            for trace in traces:
                node.traces.append(trace.format)
                yield trace
        except Exception as exc:  # another parser's bug must not lose the rest
            self.problem(out.first, f"the {fmt} parser failed on lines {out.first}-"
                                    f"{node.last_line}: {type(exc).__name__}: {exc}")

    def _next_run(self, number: int) -> Iterator[Trace]:
        trace = self.trace
        _infer_directions(trace)
        trace.last_line = number - 1
        yield trace
        self.trace = Trace(format=FORMAT, source=self.source, microflow=None,
                           first_line=number, last_line=0)
        self.cont = self.pending = self.last_check = None

    def finish(self, cut: bool) -> Iterator[Trace]:
        trace = self.trace
        if self.open is not None:
            out = self.open
            self.last_text = next((t for t in reversed(out.lines) if t.strip()), self.last_text)
            if out.tool is not None and not out.until_stderr:
                self.problem(self.last_number, f"the text ends inside the {out.tool} output "
                                               f"announced at line {out.line}: no verdict "
                                               "follows it", "the verdict line after the output")
                trace.cut = True
            yield from self.close(cut)
        if cut:
            trace.cut = True
            self.problem(self.last_number, "the last line has no line end: the text was cut",
                         "a complete last line")
        if ELISION_RE.match(self.last_text):
            trace.cut = True  # the text ends where lines were left out
        _infer_directions(trace)
        trace.last_line = self.last_number
        if not trace.first_line:
            trace.first_line = trace.last_line = 1
        yield trace


def _looks_like(lines: list[str]) -> str | None:
    """The format of trace text found outside any announced output, if any."""
    # An excerpt may start on a line no format owns (a transformation's title,
    # a row of dashes): look from each of its first lines.
    starts = [i for i, t in enumerate(lines[:32]) if t.strip()]
    for i in starts[:8]:
        name = detect(lines[i:i + 64])
        if name is not None and name != FORMAT:
            return "ovn-trace" if name.startswith("ovn-trace") else name
    return None


def _infer_directions(trace: Trace) -> None:
    """2020-2022 verdicts print no direction: tell it from the pod names.

    The runs go [source to service,] source to destination, destination to
    source, for each tool; the source pod is the first verdict's A.
    """
    checks = [n for n in trace.roots if isinstance(n, OvnkubeCheck) and n.src is not None]
    if not any(c.direction is None for c in checks):
        return
    source = checks[0].src
    pairs = {(c.src, c.dst) for c in checks}
    for c in checks:
        if c.direction is not None:
            continue
        if c.src == source:
            if (c.dst, c.src) in pairs:
                c.direction = "source pod to destination pod"
            elif c.tool == "ovn-trace" and any(
                    d.src == source and d.dst != c.dst and (d.dst, d.src) in pairs for d in checks):
                c.direction = "source pod to service clusterIP"
            else:
                c.direction = "source pod to destination pod"
        elif c.dst == source:
            c.direction = "destination pod to source pod"
