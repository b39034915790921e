"""explain(trace): the analysis that reads the trace's format."""

from __future__ import annotations

from ..model import Trace
from .explanation import Explanation
from .logical import explain_logical
from .openflow import explain_openflow
from .ovnkube import explain_ovnkube


def explain(trace: Trace) -> Explanation:
    """The verdict of one trace, whatever tool printed it."""
    if trace.format.startswith(("ofproto/", "ovn-detrace")):
        return explain_openflow(trace)
    if trace.format.startswith("ovnkube-trace"):
        return explain_ovnkube(trace)
    return explain_logical(trace)
