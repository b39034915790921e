"""ovnkube-trace without a cluster: its ovn-trace runs (ovnparse.k8s.plan) replayed
against the saved Southbound, each explained, judged as ovnkube-trace judges them.

A run *succeeds* when the packet is output to the port ovnkube-trace searches
its output for (`output to "<port>"`); here that is read from the explanation's
``outputs`` (the ports the packet, or a copy of it, left by), so a drop, a
reject or a detour is a failure, with its drop point, ACL and NetworkPolicy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from ..analysis import Explanation, Verdict
from ..errors import InputError, Problem
from ..k8s import Cluster, Leg, Plan
from .logical import OvnTraceReplay, Packet, TraceError


@dataclass
class LegResult:
    leg: Leg
    explanation: Explanation
    success: bool
    argv: list[str]
    trace: Any = field(default=None, repr=False)  # the parsed trace (model)
    json_tool: str | None = None  # "ovn-detrace" for an annotated ofproto/trace
    extra: dict = field(default_factory=dict)

    @property
    def summary(self) -> str:
        """ovnkube-trace's line for it."""
        word = "success" if self.success else "failure"
        return f"{self.leg.printed} indicates {word} from {self.leg.src_name} to " \
               f"{self.leg.dst_name}"

    def check(self) -> dict:
        """The leg as explain's checks[] hold an ovnkube-trace verdict."""
        return {"tool": self.leg.tool, "direction": self.leg.direction,
                "result": "success" if self.success else "failure",
                "src": self.leg.src_name, "dst": self.leg.dst_name, "line": None,
                "remote": False, "output": None}

    def to_dict(self) -> dict:
        out = self.explanation.to_dict()
        out["tool"] = self.json_tool or self.leg.tool
        out["direction"] = self.leg.direction
        out["argv"] = self.argv
        out["success"] = self.success
        if self.leg.hopeless:
            out["why"] = self.leg.hopeless
        out.update(self.extra)
        return out


@dataclass
class OpenFlowSide:
    """The node's switch replayed from its dumps (replay/openflow.py), and how to
    annotate its traces (ovn-detrace's notes from the saved databases)."""

    switch: Any  # OpenFlowReplay
    resolver: Any = None  # enrich.detrace_notes.Resolver
    release: str = "23.03"


def run_plan(the_plan: Plan, replay: OvnTraceReplay, cluster: Cluster, db, form: str,
             source: str, openflow: OpenFlowSide | None = None) -> list[LegResult]:
    """Each leg's ovn-trace and, with *openflow*, right after it the leg's
    ofproto/trace on the node's replayed switch (ovnkube-trace runs one for the
    pod-to-pod and pod-to-IP legs)."""
    from ..api import explain, parse_text
    results = []
    for leg in the_plan.legs:
        packet = Packet(leg.datapath, leg.microflow, form, leg.ct, leg.lb_dst)
        res = replay.run(packet)
        text = res.stdout.decode("utf-8", "replace")
        try:
            traces = parse_text(text, f"{source} ({leg.direction})")
        except InputError as exc:
            raise TraceError(f"cannot read ovn-trace's output: {exc.problem}") from None
        if not traces:
            raise TraceError(f"ovn-trace printed no trace for {leg.direction}")
        # --all prints one trace per form: judge by the first (detailed)
        ex = explain(traces[0], db)
        ex.warnings[:0] = [Problem(source, 0, w) for w in res.warnings]
        logical = LegResult(leg, ex, _success(leg, ex, cluster), res.argv, traces[0])
        results.append(logical)
        if openflow is not None and leg.openflow:
            of = _openflow_leg(the_plan, leg, logical, cluster, db, openflow)
            if of is not None:
                results.append(of)
    return results


def _openflow_leg(the_plan: Plan, leg: Leg, logical: LegResult, cluster: Cluster, db,
                  side: OpenFlowSide) -> LegResult | None:
    from ..api import compare, detrace_text, explain, parse_text
    sw = side.switch
    src = leg.src
    assert src is not None
    iface = sw.iface_of(src.lsp)
    direction = leg.direction
    if iface is None:
        the_plan.notes.append(f"no OpenFlow trace {direction}: the dumps hold no interface "
                              f"of {src.qualified} (external_ids:iface-id={src.lsp}): they "
                              "are another node's")
        return None
    req = the_plan.request
    flow = leg.ofproto_flow(req, iface.name, cluster.router_mac(src.node))
    ct_next = [c if c.startswith("trk") else f"trk,{c}" for c in leg.ct]
    raw = text = sw.trace(flow, ct_next)
    tool = "ofproto/trace"
    if side.resolver is not None:
        text = detrace_text(raw, side.resolver, release=side.release)
        tool = "ovn-detrace"
    traces = parse_text(text, f"{tool} on the replayed switch ({direction})")
    if not traces:
        raise TraceError(f"ofproto/trace printed no trace for {direction}")
    ex = explain(traces[0], db)
    where = "ofproto/trace on the replayed switch"
    ex.warnings.append(Problem(where, 0, "conntrack state, learn()-ed flows and the MACs a "
                               "NORMAL bridge (breth0) learned are not in a dump: such a "
                               "bridge floods where the live one forwarded; conntrack resumed as "
                               + (", ".join(ct_next) if ct_next else
                                  "ofproto/trace's default (no --ct-next, as ovnkube-trace)")))
    printed = ("ovs-appctl ofproto/trace pod to IP" if direction == "pod to IP" else
               f"ovs-appctl ofproto/trace {direction}")
    of_leg = replace(leg, tool="ofproto/trace", printed=printed)
    success = _openflow_success(leg, raw, sw)
    extra: dict = {"flow": flow}
    try:
        cmp = compare(logical.trace, traces[0])
        extra["same_verdict_as_ovn_trace"] = cmp.same
        if not cmp.same:
            reasons = "; ".join(cmp.reasons) or "no known reason"
            ex.warnings.append(Problem(where, 0, f"ovn-trace says {logical.explanation.verdict}"
                                       f", ofproto/trace {ex.verdict}: {reasons}"))
    except Exception as exc:  # (a comparison it cannot make is not the trace's fault)
        ex.warnings.append(Problem(where, 0, f"not compared with ovn-trace: {exc}"))
    argv = ["ovs-appctl", "ofproto/trace", sw.dumps.bridge, flow]
    for c in ct_next:
        argv += ["--ct-next", c]
    return LegResult(of_leg, ex, success, argv, traces[0], tool, extra)


def _openflow_success(leg: Leg, text: str, sw) -> bool:
    """ovnkube-trace's searches (runOfprotoTraceToPod / ToIP): to a pod on the same
    node, output to its ofport just before "Final flow:"; elsewhere, out of a tunnel
    (a kernel datapath prints "-> output to kernel tunnel", the dummy one the tunnel
    port's number); to an IP, also into another bridge or out of the management port."""
    tunnels = sw.tunnel_ofports()
    out_tunnel = "-> output to kernel tunnel" in text or any(
        re.search(rf"\boutput:{n}\b", text) for n in tunnels)
    if leg.dst is not None and not leg.dst.host_network:
        dst_iface = sw.iface_of(leg.dst.lsp)
        if dst_iface is not None and dst_iface.ofport is not None:
            return f"output:{dst_iface.ofport}\n\nFinal flow:" in text
        return out_tunnel
    if leg.dst is None:  # to an IP
        mp0 = sw.iface_of(f"k8s-{leg.src.node}") if leg.src else None
        other_bridge = re.search(rf'^bridge\("(?!{re.escape(sw.dumps.bridge)}")', text, re.M)
        return (out_tunnel or other_bridge is not None
                or (mp0 is not None and f"output:{mp0.ofport}" in text))
    return out_tunnel


def _success(leg: Leg, ex: Explanation, cluster: Cluster) -> bool:
    if leg.hopeless:
        return False
    if ex.verdict in (Verdict.INCOMPLETE, Verdict.ERROR):
        return False
    for port in ex.outputs or []:
        if port in leg.success_ports or cluster.port_types.get(port) in leg.success_types:
            return True
    return False


def summary(the_plan: Plan, results: list[LegResult]) -> Explanation:
    """The run as one ovnkube-trace object: its checks, its verdict (explain's rules for
    ovnkube-trace: dropped when a check failed), the plan's notes as warnings."""
    failed = [r for r in results if not r.success]
    warnings = [Problem("ovnkube-trace", 0, n) for n in the_plan.notes]
    for r in failed:
        text = r.summary
        if r.leg.hopeless:
            text += f": {r.leg.hopeless}"
        elif r.leg.search:
            text += f": ovn-trace's output would not hold {r.leg.search!r}"
        warnings.append(Problem("ovnkube-trace", 0, text))
    return Explanation(
        format="ovnkube-trace", microflow=None, lines=[0, 0],
        verdict=Verdict.DROPPED if failed else Verdict.DELIVERED, outputs=None,
        datapaths=None, transforms=[], drop=None, warnings=warnings,
        source="ovnparse trace", checks=[r.check() for r in results])
