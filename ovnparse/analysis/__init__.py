"""What happened to the packet, read from the (enriched) model: pure functions.

- explain      explain(trace): the analysis of the trace's format
- explanation  the answer's types: Explanation, Drop
- logical      ovn-trace's branches, verdict, drop point and rewrites
- openflow     ofproto/trace and ovn-detrace: datapath actions, drop step
- ovnkube      ovnkube-trace's own verdicts
- compare      two traces of one packet
"""

from __future__ import annotations

from .explain import explain
from .explanation import Drop, Explanation, ReasonCode, Verdict, classify_drop

__all__ = ["explain", "Explanation", "Drop", "Verdict", "ReasonCode", "classify_drop"]
