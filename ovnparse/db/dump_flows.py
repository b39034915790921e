"""`ovs-ofctl dump-flows br-int` text: the OpenFlow flows behind each cookie.

What a sosreport holds of a hypervisor's OpenFlow tables.  ovn-controller sets
each flow's cookie to the first 32 bits of the Southbound row it comes from, so
the text maps a logical flow (or port binding...) to the OpenFlow flows that
implement it: the offline counterpart of `ovn-trace --ovs`.  Each line is read
by `ovs.flow.ofp.OFPFlow` (from the `ovs` package ovsdbapp brings) on access;
here only the cookie, table and priority are taken from the text, cheaply.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

_LINE = re.compile(r"\s*cookie=0x(?P<cookie>[0-9a-fA-F]+),.*?\btable=(?P<table>\d+),"
                   r".*?\bpriority=(?P<priority>\d+)")
_HEADER = re.compile(r"\s*(?:NXST_FLOW|OFPST_FLOW) reply")


class DumpFlowsError(ValueError):
    """The text is not `ovs-ofctl dump-flows` output."""


@dataclass(frozen=True)
class OpenFlowFlow:
    cookie: str  # 8 hex digits, as ovnparse keys rows ("4dfc3efb")
    table: int
    priority: int
    text: str  # the line as printed
    line: int

    def parsed(self):
        """The flow as `ovs.flow.ofp.OFPFlow` reads it (info, match, actions);
        `OvsFlowError` (a ValueError naming the line) where it cannot."""
        from ..formats.ofproto.ovs_flow import ofp_flow
        return ofp_flow(self.text, self.line)


def read_dump_flows(src: str | os.PathLike) -> dict[str, list[OpenFlowFlow]]:
    """{cookie (8 hex digits): its flows, in printed order} from dump-flows text.

    Flows with a cookie wider than 32 bits (not derived from a row) are kept
    under their full hex value.
    """
    if isinstance(src, os.PathLike) or (isinstance(src, str) and "\n" not in src
                                         and os.path.exists(src)):
        # (bytes that are not UTF-8 become U+FFFD: a flow line with them is refused later)
        name, text = str(src), Path(src).read_bytes().decode("utf-8", "replace")
    else:
        name, text = "<text>", str(src)
    flows: dict[str, list[OpenFlowFlow]] = {}
    # (split at newlines only, as an editor numbers lines: str.splitlines() also
    # splits at CR, VT, FF..., which would renumber every line after one)
    for number, line in enumerate(text.split("\n"), 1):
        line = line.removesuffix("\r")
        if not line.strip() or _HEADER.match(line):
            continue
        m = _LINE.match(line)
        if not m:
            # Lines without a priority are possible only for priority=32768, which
            # ovs-ofctl leaves out: OVN never installs those.
            raise DumpFlowsError(f"{name}:{number}: not a flow of ovs-ofctl dump-flows "
                                 "(expected ' cookie=0x..., duration=..., table=N, ..., "
                                 "priority=P,... actions=...')")
        value = int(m["cookie"], 16)
        key = f"{value:08x}" if value <= 0xFFFFFFFF else f"{value:x}"
        flows.setdefault(key, []).append(
            OpenFlowFlow(key, int(m["table"]), int(m["priority"]), line, number))
    return flows
