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


def detect(lines: list[str], klog: bool = False) -> str | None:
    """The format of a text from its first lines, or None.

    `klog`: some of those lines carried a klog prefix (only ovnkube-trace
    prints through klog).
    """
    if klog or any(is_ovnkube_line(t) for t in lines):
        return OVNKUBE
    # Look past a few lines that are not a trace (a wrapped command line, a
    # YAML key, a log line): the first line that looks like a format decides.
    tried = 0
    for text in lines:
        stripped = text.strip()
        if not stripped or is_elision(stripped):
            continue
        if text.startswith("# ") and FLOW_HEADER.match(text):
            return OVN_TRACE
        if (OFPROTO_HINTS.match(text) and not OVN_TRACE_TABLE.match(text)) \
                or OFPROTO_REPLY.match(text):
            return openflow_kind(lines)
        if any(h.match(text) for h in OVN_TRACE_HINTS):
            return OVN_TRACE
        if DETRACE_NOTE.match(text):
            return DETRACE
        tried += 1
        if tried == _LOOK_PAST:
            return None
    return None


_LOOK_PAST = 5  # non-blank lines a text may start with before its trace


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
