"""What each tool's output looks like at a glance: the signatures format
detection and segmentation read.  Imports no parser.

  ovn-trace      `# <microflow>`, `ingress(dp="...")` titles, `N. stage (...): ...,
                 priority P, uuid U` tables, or the summary/minimal brace forms
  ofproto/trace  `Flow: ...`, `bridge("br-int")`, `Datapath actions: ...`
  ovn-detrace    ofproto/trace text with `  * Logical flow: ...` notes
  ovnkube-trace  klog lines and `ovn-trace source pod to destination pod indicates
                 success|failure from A to B`, wrapping the three above
"""

from __future__ import annotations

import re

from ..model import NOTE_KINDS

OVN_TRACE = "ovn-trace"
OFPROTO = "ofproto/trace"
DETRACE = "ovn-detrace"
OVNKUBE = "ovnkube-trace"

# What whoever saved a text puts where they left lines out: `...`, `(...)`,
# `[...]`, `…`, `....Skip More....`, `<snip>`, `--- snip ---`.
ELISION_RE = re.compile(r"\s*(?:\.{3,}.*|….*|[\[(]\s*(?:\.{3}|…|snip)\s*[\])]|<snip>"
                        r"|-+ ?snip ?-+)\s*\Z", re.IGNORECASE)


def is_elision(text: str) -> bool:
    return bool(text) and text.lstrip()[:1] in _ELISION_FIRST and bool(ELISION_RE.match(text))


_ELISION_FIRST = frozenset(".…[(<-")

# --- ovn-trace ----------------------------------------------------------------------

OVN_TRACE_HINTS = (
    re.compile(r'\s*(?:\d+\. )?(?:ingress|egress|multicast)\(dp="'),
    re.compile(r"\s*(?:\d+\. )?\S.*, priority -?\d+, uuid [0-9a-f]{8}\Z"),
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
OVN_TRACE_TABLE = OVN_TRACE_HINTS[1]
# ovn-trace's `# <microflow>` header: a flow as OVS formats it.
# (the words possessive, `*+`: the same lines as `(?:,w(?:=\S+)?)*\Z`, whose nested
# quantifiers backtracked for seconds on a long flow cut by a control character)
FLOW_HEADER = re.compile(r"# [a-z0-9_]+(?:,[a-z0-9_]+)*+(?:=\S+)?\Z|# \w+=")

# --- ofproto/trace and ovn-detrace --------------------------------------------------

OFPROTO_HINTS = re.compile(
    r'(?:\s*Flow: |\S+\|\d+\|\S+\|[A-Z]+\|Flow: |bridge\("|Datapath actions: |Megaflow: |'
    r'Final flow: |Rule: (?:table=\d+ )?cookie=|OpenFlow actions=|Bridge: |Packet: |'
    r'Translation failed \(|'
    r"\s*\d+\. .*, priority \d+(?:, cookie \S+)?\Z|\s*\d+\. No match\.\Z|"
    # an excerpt that starts inside a table's actions: what an action did, as
    # ofproto/trace says it (`-> NXM_NX_REG0[] is now 0x1`, `-> output to kernel tunnel`)
    r"\s+-> (?:\S+ is now |output to |Sets |no |Resuming |A clone |Recirculat))")
# What a pass printed before its `Flow:` line: the bridge (OVS 1.x to 2.6) and,
# in 2010, the packet as tcpdump shows it.
HEADING_STARTS = ("Bridge: ", "Packet: ")


def heading_start(lines: list[str], flow: int, floor: int = 0) -> int:
    """Where the output of the `Flow:` line lines[flow] starts: at the heading
    lines before it (`Bridge: br0`, `Packet: ...`: OVS before 2.7), if any."""
    start = j = flow
    while j > floor:
        j -= 1
        text = lines[j].lstrip(" ")
        if text.startswith(HEADING_STARTS):
            start = j
        elif text:
            break
    return start


# What ovs-appctl prints instead of an ofproto/trace: the command's error reply
# (ofproto/ofproto-dpif-trace.c), then its own `server returned an error`.
OFPROTO_REPLY = re.compile(
    r"(?:ovs-appctl: .*: server returned an error|.* \(or the bridge name was omitted\)|"
    r"\S+: unknown bridge|Bad openflow flow syntax: |Bad actions: |invalid in_port|"
    r"Missing argument for option |\S+: unknown option|\S+: too much L7 data|"
    r"Failed to parse Geneve options)")
# ovn-detrace's notes; ovs-dbg's copy prints "*  Logical datapath" (two spaces).
DETRACE_NOTE = re.compile(
    r"\s*\*\s+(?:" + "|".join(re.escape(k.label) for k in
                              sorted(NOTE_KINDS, key=lambda k: -len(k.label)))
    + r"|\[Duplicate)\b")

# --- ovnkube-trace --------------------------------------------------------------------

TOOL_NAMES = r"ovn-trace|ovs-appctl ofproto/trace|ovn-detrace"
#: a verdict line, 2020 on
CHECK_RE = re.compile(
    rf"(?P<tool>{TOOL_NAMES})(?P<remote> \(remote\))?(?: (?P<dir>.+?))? indicates "
    r"(?P<result>success|failure) from (?P<src>\S+) to (?P<dst>\S+?)(?: - (?P<rest>.*?))?\s*\Z")
#: `<tool> <direction> Output:`, announcing an embedded output (2022 on)
OUTPUT_NEW = re.compile(
    rf"(?P<tool>{TOOL_NAMES})(?P<remote> \(remote\))? (?P<dir>.+?) Output:\s*\Z")
OLD_LABEL = r"Source to Destination|Destination to Source|Source to service clusterIP"
#: `Source to Destination ovn-trace Output: ...` (2020-2022)
OUTPUT_OLD = re.compile(
    rf"(?P<dir>{OLD_LABEL}) +(?P<tool>ovn-trace|ovs-appctl|ovn-detrace|detrace)"
    r"(?: Completed -)? Output: ?(?P<first>.*)\Z")
SEARCH = re.compile(r"Search string (?P<not>not )?matched:\s*(?P<rest>.*?)\s*\Z")


def is_ovnkube_line(text: str) -> bool:
    """A line only ovnkube-trace prints (klog prefix removed).

    Its verdict lines of every version, the `<tool> <direction> Output:` and
    2020-2022 `Source to Destination ovn-trace Output: ...` lines that announce
    an embedded output, `Search string matched:`, `ovn-trace command Completed
    normally`.
    """
    return bool(CHECK_RE.match(text) or OUTPUT_NEW.match(text) or OUTPUT_OLD.match(text)
                or SEARCH.match(text) or text.startswith("ovn-trace command Completed normally"))
