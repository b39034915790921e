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
        ex = explain_openflow(trace)
    elif trace.format.startswith("ovnkube-trace"):
        ex = explain_ovnkube(trace)
    else:
        ex = explain_logical(trace)
    ex.command = trace.command
    return ex
