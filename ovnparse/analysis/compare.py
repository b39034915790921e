"""Two traces of the same packet, side by side: same verdict, or why not.

The usual pair is ovn-trace (the logical simulation) and ofproto/trace or
ovn-detrace (what the hypervisor's OpenFlow tables do).  They often disagree
for reasons that are not bugs, and a person comparing them by eye loses an
hour on each:

- conntrack: ovn-trace assumes every connection is established (`ct_state=
  est|trk`, "default (use --ct to customize)"), ofproto/trace resumes each
  conntrack recirculation as new (`ct_state=new|trk`) unless `--ct-next`
  says otherwise: ACLs that only match new connections act in one and not
  the other;
- ovn-controller: what OVN does in ovn-controller rather than in OpenFlow
  (ARP/ND resolution, `put_arp`, reject's TCP RST or ICMP, ICMP errors, DNS,
  DHCP...) ends the OpenFlow trace at a `controller()` action;
- select groups: ofproto/trace cannot follow an OVS select group (load
  balancers with several backends, ECMP) with no live bucket.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..model import Action, Fork, Trace
from .explain import explain
from .explanation import Explanation
from .logical import CONTROLLER_ACTIONS, REPLY_FORKS, RESOLUTION_FORKS, action_name

OVN_TRACE_DEFAULT_CT = "est|trk"
# Logical actions ovn-controller carries out (pinctrl), not OpenFlow.
_PINCTRL_FORKS = RESOLUTION_FORKS | REPLY_FORKS | {"nd_na", "nd_na_router"}


@dataclass
class Comparison:
    first: Explanation
    second: Explanation
    same: bool
    reasons: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"same": self.same, "reasons": self.reasons,
                "first": self.first.to_dict(), "second": self.second.to_dict()}


def compare(first: Trace, second: Trace) -> Comparison:
    a, b = explain(first), explain(second)
    same = a.verdict == b.verdict
    reasons: list[str] = []
    if not same:
        reasons = (_conntrack(first, second) + _controller(first, a, second, b)
                   + _select_group(first, second))
        if not reasons:
            reasons = [f"no known cause: {a.format} says {a.verdict}, "
                       f"{b.format} says {b.verdict}"]
    return Comparison(a, b, same, reasons)


def conntrack_states(trace: Trace) -> set[str]:
    """The conntrack states a trace assumed at its conntrack passes."""
    states: set[str] = set()
    for node in trace.walk():
        state = getattr(node, "ct_state", None)  # an OpenFlow recirculation pass
        if state:
            states.add(state)
        elif isinstance(node, Fork) and node.detail:
            if "ct_state=" in node.detail:
                states.add(node.detail.split("ct_state=", 1)[1].split()[0].rstrip(")"))
            elif "default (use --ct to customize)" in node.detail:
                states.add(OVN_TRACE_DEFAULT_CT)
    return states


def _conntrack(first: Trace, second: Trace) -> list[str]:
    sa, sb = conntrack_states(first), conntrack_states(second)
    if sa and sb and sa != sb:
        return [f"conntrack: {first.format} assumed ct_state {', '.join(sorted(sa))}, "
                f"{second.format} {', '.join(sorted(sb))}; ACLs that match only new or "
                "only established connections act in one and not the other (ovn-trace "
                "--ct=new, ofproto/trace --ct-next 'trk,est' make them agree)"]
    return []


def _controller(first: Trace, a: Explanation, second: Trace, b: Explanation) -> list[str]:
    for trace, ex, other in ((first, a, b), (second, b, a)):
        if other.verdict != "controller":
            continue
        actions = sorted({n.name for n in trace.walk()
                          if isinstance(n, Fork) and n.name in _PINCTRL_FORKS}
                         | {action_name(n.text) for n in trace.walk()
                            if isinstance(n, Action) and action_name(n.text) in CONTROLLER_ACTIONS})
        if actions:
            return [f"ovn-controller: {ex.format} shows {', '.join(actions)}, which "
                    "ovn-controller carries out (pinctrl); the OpenFlow trace stops at the "
                    "controller() action that hands the packet to it"]
    return []


def _select_group(first: Trace, second: Trace) -> list[str]:
    for trace in (first, second):
        if any("no live bucket" in node.text for node in trace.walk()):
            return [f"select group: {trace.format} met an OVS select group with no live "
                    "bucket (a load balancer or ECMP route) and could not follow the packet"]
    return []
