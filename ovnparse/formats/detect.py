"""Tell which tool printed a text, from its first lines (signatures: sniff.py).

The names are those `--format` takes (registry.py).
"""

from __future__ import annotations

from .sniff import (
    DETRACE,
    DETRACE_NOTE,
    FLOW_HEADER,
    OFPROTO,
    OFPROTO_HINTS,
    OFPROTO_REPLY,
    OVN_TRACE,
    OVN_TRACE_HINTS,
    OVN_TRACE_TABLE,
    OVNKUBE,
    is_elision,
    is_ovnkube_line,
)


def detect(lines: list[str], klog: str = "") -> str | None:
    """The format of a text from its first lines, or None.

    `klog`: "some" of those lines carried a klog prefix (ovnkube-trace prints
    through klog), or "every" one did (a log collector's prefix on any tool's
    output: the text under it decides, ovnkube-trace only when nothing else
    is recognised).
    """
    return detect_start(lines, klog)[0]


def detect_start(lines: list[str], klog: str = "") -> tuple[str | None, int]:
    """`detect`, and the index of the line where the trace starts: the lines
    before it (notes, a log line, a YAML key...) are no trace's text."""
    if any(is_ovnkube_line(t) for t in lines):
        return OVNKUBE, 0
    if klog == "some":
        return OVNKUBE, 0
    name, start = _detect_plain(lines)
    if name is None and klog == "every":
        return OVNKUBE, 0
    return name, start


def _detect_plain(lines: list[str]) -> tuple[str | None, int]:
    # The first line that looks like a format decides; a line before it that
    # is indented, or ends as ovn-trace's actions and blocks do, may be the
    # start of a fragment (notes typed around a trace start at the left).
    start = None
    for index, text in enumerate(lines):
        stripped = text.strip()
        if not stripped or is_elision(stripped):
            continue
        if start is None and (stripped[-1] in ";{}" or text[0] in " \t"):
            start = index
        found = start if start is not None else index
        if text.startswith("# ") and FLOW_HEADER.match(text):
            return OVN_TRACE, found
        if (OFPROTO_HINTS.match(text) and not OVN_TRACE_TABLE.match(text)) \
                or OFPROTO_REPLY.match(text):
            return openflow_kind(lines[index:]), found
        if any(h.match(text) for h in OVN_TRACE_HINTS):
            return OVN_TRACE, found
        if DETRACE_NOTE.match(text):
            return DETRACE, found
    return None, 0


def openflow_kind(lines: list[str]) -> str:
    """ofproto/trace, or ovn-detrace when its notes are there.

    ovn-detrace prints its first notes right after the first table step's
    actions, so the first lines of an output tell.
    """
    for text in lines[:_NOTES_WITHIN]:
        if "*" in text and DETRACE_NOTE.match(text):
            return DETRACE
    return OFPROTO


_NOTES_WITHIN = 80


def family(name: str) -> str:
    """ovn-trace forms are one family; ofproto/trace and ovn-detrace another."""
    if name.startswith(OVN_TRACE):
        return OVN_TRACE
    if name in (OFPROTO, DETRACE):
        return OFPROTO
    return name
