"""Tell which tool printed a text, from its first lines."""

from __future__ import annotations

import re


_OVN_TRACE_HINTS = (
    re.compile(r'\s*(?:\d+\. )?(?:ingress|egress|multicast)\(dp="'),
    re.compile(r"\s*\d+\. \S.*, priority -?\d+, uuid [0-9a-f]{8}\Z"),
    re.compile(r'\s*(?:output\(".*"\)|ct_next\(ct_state=[a-z|]+.*\)|ct_lb(?:_mark)?|clone|'
               r'ct_[ds]nat(?:\(ip[46]\.\w+=.*\))?) ?\{?;?\Z'),
    re.compile(r"\s*\*\*\* "),
    re.compile(r'\s*(?:ct_\w+|clone|arp|nd_n[as]|icmp[46]|tcp_reset|sctp_abort)\b.*(?: \{|\);|\*/;)\Z'),
    re.compile(r"\s*LOG: ACL name="),
    re.compile(r'(?:ovn-trace: )?(?:unknown datapath "|error parsing flow: )'),
)
# ovn-trace's `# <microflow>` header: a flow as OVS formats it.
_FLOW_HEADER = re.compile(r"# [a-z0-9_]+(?:,[a-z0-9_]+(?:=\S+)?)*\Z|# \w+=")


def detect(lines: list[str]) -> str | None:
    """The format name of `lines` (the first lines of the text), or None."""
    for text in lines:
        if not text.strip() or text.strip() == "...":
            continue
        if text.startswith("# ") and _FLOW_HEADER.match(text):
            return "ovn-trace"
        if any(h.match(text) for h in _OVN_TRACE_HINTS):
            return "ovn-trace"
        return None
    return None
