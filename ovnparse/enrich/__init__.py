"""Model + databases -> annotated model, before any analysis.

- openflow       an ofproto/trace's steps get ovn-detrace's notes (what each
                 cookie and port names), as ovn-detrace would print them
- detrace_notes  the Resolver: a cookie or a port -> ovn-detrace's note lines
- flows          each step's key -> logical flow -> ACL -> owner (Trace.resolved)
- owners         the Kubernetes / OpenStack object an ACL implements
- references     the port groups and address sets a resolved flow's match names

`enrich(trace, databases)` runs them in that order; it is idempotent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..model import Trace
from .detrace_notes import Resolver
from .flows import resolve_flows
from .openflow import annotate
from .references import resolve_references

if TYPE_CHECKING:
    from ..db.databases import Databases


def enrich(trace: Trace, databases: Databases) -> Trace:
    """The trace with what the databases say of it (in place; once)."""
    if trace.resolved:
        return trace
    index = databases.index
    if index is not None:
        resolver = databases.cache.get("resolver")
        if resolver is None:
            resolver = databases.cache["resolver"] = Resolver(index)
        annotate(trace, resolver)
    resolve_flows(trace, index, databases.openflow)
    if index is not None:
        resolve_references(trace, databases)
    return trace


__all__ = ["enrich", "annotate", "resolve_flows", "resolve_references", "Resolver"]
