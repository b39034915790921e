"""What the ofproto/trace parser tells the one reading ovn-detrace's notes.

ovn-detrace copies an ofproto/trace and prints notes (`  * ...` lines)
among its lines.  Its parser (formats/ovn_detrace.py) gives the ofproto/trace
parser a NoteHandler and is told, as the text is read, of every line it
copies and the node made of it; plain ofproto/trace text is read with
NO_NOTES, which does nothing.
"""

from __future__ import annotations

from ...model import Trace


class NoteHandler:
    """The hooks ovn-detrace's parser gives the ofproto/trace parser.

    `detrace`: the text is ovn-detrace's.  Its `*` lines are notes (in
    ofproto/trace text they would be tree lines); it may be stripped (before
    OVN 25.09); it ends with one more blank line; its indentation may be a
    person's (then the nesting is read again from what the lines mean).
    `run` is the list of notes read since the last copied line (the parser
    appends them to it: nodes.read_notes; one list object from `begin` to
    `end`).
    """

    detrace = True
    run: list

    def begin(self, trace: Trace, stripped: bool) -> None:  # a new output
        raise NotImplementedError

    def line(self, raw: str, node, number: int) -> None:
        """A copied line and its node.  (The hot loops call it for an action
        only when notes are pending or the action says `output:` or `cookie`:
        the other actions do not matter to ovn-detrace.)"""
        raise NotImplementedError

    def flush_point(self, body: str) -> None:  # a table or blank line arrives
        raise NotImplementedError

    def table(self, raw: str, node, number: int) -> None:  # a table line (flush point)
        self.flush_point(raw.strip(" "))
        self.line(raw, node, number)

    def end(self, trace: Trace) -> None:
        raise NotImplementedError


class _NoNotes(NoteHandler):
    """Plain ofproto/trace text: no notes, nothing to tell."""

    detrace = False
    run = ()  # type: ignore[assignment]  # never appended to: `*` lines are no notes here

    def begin(self, trace: Trace, stripped: bool) -> None:
        pass

    def line(self, raw: str, node, number: int) -> None:
        pass

    def flush_point(self, body: str) -> None:
        pass

    def table(self, raw: str, node, number: int) -> None:
        pass

    def end(self, trace: Trace) -> None:
        pass


NO_NOTES = _NoNotes()
