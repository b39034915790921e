"""ofproto/trace before OVS 2.7: `Rule:` lines instead of a tree."""

from __future__ import annotations

import re

from ...lines import decimal
from ...model import OfPass, OfTable
from .nodes import action_node, ends_tree

LEGACY_STARTS = ("Rule: ", "OpenFlow actions=", "Resubmitted ", "No match")
# (2010's rules have no table: there was one)
_LEGACY_RULE = re.compile(r"Rule: (?:table=(\d+) )?cookie=(\S+)(?: (.*))?\Z")
_RESUBMIT = re.compile(r"resubmit\([^,()]*,(\d+)\)")


def read_legacy(texts: list[str], i: int, first: int, pass_: OfPass) -> int:
    """ofproto/trace before OVS 2.7: `Rule: table=N cookie=C match`, `OpenFlow
    actions=...`, `Resubmitted flow/regs/odp/megaflow:` and `No match` lines
    (their tab indentation is lost in most documents): each rule a table step,
    listed flat, its actions and resubmit notes its children.  Read, not
    printed back."""
    n = len(texts)
    step: OfTable | None = None
    target = 0
    while i < n:
        body = texts[i].strip()
        number = first + i
        if ends_tree(body):
            return i
        if not body:
            i += 1
            continue
        m = _LEGACY_RULE.match(body)
        if m:
            fields = [f for f in (m.group(3) or "").split(",") if f]
            prio = next((f[9:] for f in fields if f.startswith("priority=")), None)
            match = ",".join(f for f in fields if not f.startswith("priority=")) or None
            cookie = None if m.group(2) in ("0", "0x0") else m.group(2)
            table = decimal(m.group(1)) if m.group(1) else target
            step = OfTable(body, number, table=table, chained=bool(pass_.children),
                           rule=(match, decimal(prio) if prio and prio.lstrip("-").isdigit()
                                 else None, cookie))
            pass_.children.append(step)
        elif body.startswith("No match"):
            step = OfTable(body, number, table=target, no_match=True, miss=body,
                           chained=bool(pass_.children), rule=(None, None, None))
            pass_.children.append(step)
        else:
            node = action_node(body, number)
            if body.startswith("OpenFlow actions="):
                t = _RESUBMIT.search(body)
                target = decimal(t.group(1)) if t else target
            owner = step if step is not None else pass_
            owner.children.append(node)
        i += 1
    return i

