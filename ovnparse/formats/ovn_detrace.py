"""Parser for `ovn-detrace` output: ofproto/trace text with notes.

ovn-detrace (utilities/ovn_detrace.py.in in ovn-org/ovn) copies its input
line by line, and for every line that names a cookie (`cookie 0x...`) or,
with --ovs, an OpenFlow port (`N. in_port=P...`, `output:P`), it remembers
what to look up.  When the next table line or blank line arrives it prints
what it found about each remembered line, before copying that line:

    * Logical datapaths:                 (logical flow, SB)
    *     "ls" (uuid) [ingress]
    * Logical flow: table=0 (ls_in_...), priority=50, match=(1), actions=(next;)
     * ACL: from-lport, priority=..., drop (NB hints of the flow, one more space)
    * Logical datapath: "ls" (uuid)      (port binding, MAC binding, multicast group)
    * Port Binding: logical_port "vm0", tunnel_key 10, chassis-name "hv1", ...
    * OVS Interface: vif0 (iface-id)     (--ovs)

So a table line's notes come after its own action lines, before the first
table it resubmits to.  Up to OVN 25.03 it printed every copied line
stripped (`print(line.strip())`): the nesting is then rebuilt from what the
lines mean (formats/ofproto, stripped form); since 25.09 it keeps the
indentation and indents the notes to the level of the line they are about.
The rules of each release are in formats/detrace_rules.py.

The notes are attached to the node of the line that made ovn-detrace look
them up (an OfTable for a cookie or an in_port, the output action for
output:P), by replaying that loop; the printer (views/detrace_text.py)
replays it the other way and gives back the tool's bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ..errors import Problem
from ..lines import Block
from ..model import DetraceNote, Trace
from .detrace_rules import _HEX_DIGITS, COOKIE, INPORT_AS_TOOL, Rules, family_of
from .ofproto import NoteHandler, parse_outputs
from .ofproto.nodes import note_node  # (a `  * ...` line as a DetraceNote)

FORMAT = "ovn-detrace"

# Notes that start a record (each looked-up row prints one record).
_RECORD_STARTS = frozenset({"logical_datapaths", "logical_datapath", "chassis",
                            "load_balancer", "duplicate"})


def parse(blocks: Iterable[Block], source: str, f_lines: list[int] | None = None
          ) -> Iterator[Trace]:
    """ovn-detrace outputs in the text, one Trace each (streaming).  See
    ofproto.parse_outputs for `f_lines`."""
    return parse_outputs(blocks, source, FORMAT, _Notes(), f_lines)


class _Notes(NoteHandler):
    """Replays ovn-detrace's loop to give each note to the line it is about."""

    def begin(self, trace: Trace, stripped: bool) -> None:
        self.trace = trace
        self.rules = Rules(family_of(stripped))
        # Nodes of the lines since the last flush that ovn-detrace looks up,
        # by what it looks up (kept apart: a tuple per line would cost more).
        self.cookies: list = []
        self.ports: list = []
        self.run: list[DetraceNote] = []
        self.last = None  # node of the last copied line

    def line(self, raw: str, node, number: int) -> None:
        # (called for every copied line: the common case costs three `in`s)
        if self.run:
            self._flush()  # notes before a line: printed at it (a flush point)
        if "cookie" in raw or "output:" in raw or "in_port=" in raw:
            if (self.cookies or self.ports) and self.rules.flushes(raw):
                self._flush()
            self._remember(raw, node)
        self.last = node

    def table(self, raw: str, node, number: int) -> None:
        # flush_point, then line, for a table line (a third of the copied
        # lines): what Rules.triggers finds on one, without making a list
        if self.run or self.cookies or self.ports:
            self._flush()
        k = raw.rfind("cookie 0x")  # (Rules.names_cookie's usual case, inline)
        if k >= 0 and raw[k + 9:k + 10] in _HEX_DIGITS and "\n" not in raw \
                or "cookie" in raw and self.rules.cookie.match(raw):
            self.cookies.append(node)
        if "in_port=" in raw and INPORT_AS_TOOL.match(raw):  # (the regex allows the indentation)
            self.ports.append(node)
        self.last = node

    def _remember(self, raw: str, node) -> None:
        for role in self.rules.triggers(raw):
            (self.cookies if role == COOKIE else self.ports).append(node)

    def flush_point(self, body: str) -> None:
        self._flush()

    def end(self, trace: Trace) -> None:
        self._flush()

    def _flush(self) -> None:
        cookies, ports = self.cookies, self.ports
        run = self.run
        if not run:
            if cookies or ports:
                self.cookies, self.ports = [], []
            return
        run = run[:]
        self.run.clear()  # (the parser appends to this list directly)
        for n in run:
            if "OVS Interface:" in n.text and n.what == "ovs_interface":
                break
        else:
            if len(cookies) == 1 and not ports:
                cookies.pop().add_notes(run)  # the common case: one table line's flow
                return
        self.cookies, self.ports = [], []
        about_ports = [n for n in run if "OVS Interface:" in n.text and n.what == "ovs_interface"]
        about_cookies = [n for n in run if all(n is not p for p in about_ports)] \
            if about_ports else run
        if about_ports:
            if ports:
                for k, note in enumerate(about_ports):
                    ports[min(k, len(ports) - 1)].add_notes([note])
            else:
                self._orphans(about_ports)
        if about_cookies:
            if not cookies:
                self._orphans(about_cookies)
            elif len(cookies) == 1:
                cookies[0].add_notes(about_cookies)
            else:
                records = _records(about_cookies)
                for k, record in enumerate(records):
                    cookies[min(k, len(cookies) - 1)].add_notes(record)

    def _orphans(self, notes: list[DetraceNote]) -> None:
        """Notes with no line before them that ovn-detrace would look up."""
        target = self.last if self.last is not None else (
            self.trace.roots[-1] if self.trace.roots else None)
        self.trace.problems.append(Problem(
            self.trace.source, notes[0].line,
            "ovn-detrace note after a line it would not look up",
            "a table line with a cookie, or an output:/in_port= line (--ovs)"))
        if target is not None and hasattr(target, "annotations"):
            target.add_notes(notes)


def _records(notes: list[DetraceNote]) -> list[list[DetraceNote]]:
    """Split a run of notes where a looked-up row's record starts."""
    records: list[list[DetraceNote]] = []
    for note in notes:
        starts = note.what in _RECORD_STARTS and not note.hint
        if note.what == "logical_datapath" and records and \
                records[-1][-1].what == "logical_datapath":
            starts = False
        if starts or not records:
            records.append([note])
        else:
            records[-1].append(note)
    return records


def annotated(trace: Trace) -> bool:
    """Whether any step of the trace carries ovn-detrace notes."""
    return any(getattr(n, "annotations", None) for n in trace.walk())


__all__ = ["FORMAT", "parse", "note_node", "annotated"]
