"""Tell which tool printed a text, and where one tool's output gives way to another's.

Formats (the names `--format` takes):
  ovn-trace      `# <microflow>`, `ingress(dp="...")` titles, `N. stage (...): ...,
                 priority P, uuid U` tables, or the summary/minimal brace forms
  ofproto/trace  `Flow: ...`, `bridge("br-int")`, `Datapath actions: ...`
  ovn-detrace    ofproto/trace text with `  * Logical flow: ...` annotations
  ovnkube-trace  klog lines and `ovn-trace source pod to destination pod indicates
                 success|failure from A to B`, wrapping the three above

A saved file may hold several outputs one after another (an ovn-trace then the
ofproto/trace of the same packet, say): `switches` finds the lines where the
family changes, so each part goes to its own parser.
"""

from __future__ import annotations

import re

OVN_TRACE = "ovn-trace"
OFPROTO = "ofproto/trace"
DETRACE = "ovn-detrace"
OVNKUBE = "ovnkube-trace"

_OVN_TRACE_HINTS = (
    re.compile(r'\s*(?:\d+\. )?(?:ingress|egress|multicast)\(dp="'),
    re.compile(r"\s*\d+\. \S.*, priority -?\d+, uuid [0-9a-f]{8}\Z"),
    re.compile(r'\s*(?:output\(".*"\)|ct_next\(ct_state=[a-z|]+.*\)|ct_lb(?:_mark)?|clone|'
               r'ct_[ds]nat(?:\(ip[46]\.\w+=.*\))?) ?\{?;?\Z'),
    re.compile(r"\s*\*\*\* "),
    re.compile(r'\s*(?:ct_\w+|clone|arp|nd_n[as]|icmp[46]|tcp_reset|sctp_abort)\b.*'
               r'(?: \{|\);|\*/;)\Z'),
    re.compile(r"\s*LOG: ACL name="),
    # a fragment that starts at a transformation title (ovnkube-trace excerpts)
    re.compile(r"(?:ct_next\(ct_state=|ct_lb(?:_mark)? /\*|ct_[ds]nat(?:\(ip[46]\.| /\*))"),
    re.compile(r'(?:ovn-trace: )?(?:unknown datapath "|error parsing flow: )'),
)
# ovn-trace's `# <microflow>` header: a flow as OVS formats it.
_FLOW_HEADER = re.compile(r"# [a-z0-9_]+(?:,[a-z0-9_]+(?:=\S+)?)*\Z|# \w+=")
_OFPROTO_HINTS = re.compile(
    r'(?:\s*Flow: |\S+\|\d+\|\S+\|[A-Z]+\|Flow: |bridge\("|Datapath actions: |Megaflow: |'
    r'Final flow: |Rule: table=|OpenFlow actions=|Bridge: |Translation failed \(|'
    r"\s*\d+\. .*, priority \d+(?:, cookie \S+)?\Z|\s*\d+\. No match\.\Z)")
# ovn-detrace's notes; ovs-dbg's copy prints "*  Logical datapath" (two spaces).
_DETRACE_ANNOTATION = re.compile(
    r"\s*\*\s+(?:Logical datapaths?|Logical flow|Port Binding|MAC Binding|Multicast Group|"
    r"Chassis|Load Balancer|OVS Interface|ACL|Logical Switch Port|Logical Router Port|"
    r"Logical Router Policy|NAT|Route|QoS|DHCP Options|Forwarding Group|Static MAC Binding|"
    r"FDB|\[Duplicate)\b")


def detect(lines: list[str], klog: bool = False) -> str | None:
    """The format of a text from its first lines, or None.

    `klog`: some of those lines carried a klog prefix (only ovnkube-trace
    prints through klog).
    """
    from .parsers.ovnkube_trace import is_ovnkube_line
    if klog or any(is_ovnkube_line(t) for t in lines):
        return OVNKUBE
    # Look past a few lines that are not a trace (a wrapped command line, a
    # YAML key, a log line): the first line that looks like a format decides.
    tried = 0
    for text in lines:
        stripped = text.strip()
        if not stripped or stripped == "...":
            continue
        if text.startswith("# ") and _FLOW_HEADER.match(text):
            return OVN_TRACE
        if _OFPROTO_HINTS.match(text) and not _OVN_TRACE_HINTS[1].match(text):
            return openflow_kind(lines)
        if any(h.match(text) for h in _OVN_TRACE_HINTS):
            return OVN_TRACE
        if _DETRACE_ANNOTATION.match(text):
            return DETRACE
        tried += 1
        if tried == _LOOK_PAST:
            return None
    return None


_LOOK_PAST = 5  # non-blank lines a text may start with before its trace


def openflow_kind(lines: list[str]) -> str:
    """ofproto/trace, or ovn-detrace when its annotations are there.

    ovn-detrace prints its first notes right after the first table step's
    actions, so the first lines of an output tell.
    """
    for text in lines[:_NOTES_WITHIN]:
        if "*" in text and _DETRACE_ANNOTATION.match(text):
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


def switches(lines: list[str], current: str, after_recirc_header: bool = False
             ) -> list[tuple[int, str]]:
    """(index, family) of the lines where another output starts.

    Only the first line of an output can start one: ovn-trace's `# <microflow>`
    line (a cut only where the family changes: the ovn-trace parser splits its
    own traces), or ofproto/trace's and ovn-detrace's `Flow: ` line (a cut at
    each one, since either tool may follow the other; except the `Flow: ` after
    a recirculation pass's `=====` header, which belongs to the same trace).
    """
    found: list[tuple[int, str]] = []
    for i in [i for i, t in enumerate(lines) if t and (t[0] == "#" or t[0] == "F")]:
        text = lines[i]
        if current != OVN_TRACE and text.startswith("# ") and _FLOW_HEADER.match(text):
            current = OVN_TRACE
            found.append((i, current))
        elif text.startswith("Flow: ") \
                and not _follows_recirc_header(lines, i, after_recirc_header):
            current = OFPROTO
            found.append((i, current))
    return found


def _follows_recirc_header(lines: list[str], i: int, at_block_start: bool) -> bool:
    j = i - 1
    while j >= 0 and not lines[j].strip():
        j -= 1
    if j < 0:
        return at_block_start
    return lines[j].startswith("=====")
