"""ovnkube-trace without a cluster: its ovn-trace runs (ovnparse.k8s.plan) replayed
against the saved Southbound, each explained, judged as ovnkube-trace judges them.

A run *succeeds* when the packet is output to the port ovnkube-trace searches
its output for (`output to "<port>"`); here that is read from the explanation's
``outputs`` (the ports the packet, or a copy of it, left by), so a drop, a
reject or a detour is a failure, with its drop point, ACL and NetworkPolicy.
"""

from __future__ import annotations

from dataclasses import dataclass

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
        out["tool"] = self.leg.tool
        out["direction"] = self.leg.direction
        out["argv"] = self.argv
        out["success"] = self.success
        if self.leg.hopeless:
            out["why"] = self.leg.hopeless
        return out


def run_plan(the_plan: Plan, replay: OvnTraceReplay, cluster: Cluster, db, form: str,
             source: str) -> list[LegResult]:
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
        results.append(LegResult(leg, ex, _success(leg, ex, cluster), res.argv))
    return results


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
