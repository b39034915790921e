"""OpenFlow steps named by the databases: an ofproto/trace read as ovn-detrace would.

Each table step's cookie (and each output port) gets the notes ovn-detrace
prints for it (logical flow, datapath, port binding...), on the model, so that
explaining the trace can name its logical stages, datapaths and output ports.
"""

from __future__ import annotations

from ..db.index import DbIndex
from ..model import Trace


def annotate_openflow(trace: Trace, index: DbIndex) -> Trace:
    """The trace, its OpenFlow steps annotated from the databases (in place).

    Only plain ofproto/trace output is annotated: ovn-detrace's own notes are
    already there, and other formats have no cookies.
    """
    if trace.format != "ofproto/trace":
        return trace
    from ..detrace.records import Resolver
    from ..detrace.run import annotate
    annotate([trace], Resolver(index))
    return trace
