"""OpenFlow steps named by the databases: an ofproto/trace read as ovn-detrace would.

Each line of the trace that ovn-detrace looks something up for (a cookie; with
--ovs an in_port= or output: port) gets, on the node it printed, the notes
ovn-detrace prints for it (logical flow, datapath, port binding, NB hints...):
explaining the trace can then name its logical stages, datapaths and output
ports, and views/detrace_text.py prints ovn-detrace's text from the model.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

from ..formats.detrace_rules import COOKIE, RULES_2303, Rules
from ..model import DetraceNote, Node, OfPass, Trace
from .detrace_notes import Resolver

_T = TypeVar("_T", bound=Trace)


def annotate(trace: _T, resolver: Resolver, *, ovs: bool = False,
             rules: Rules = RULES_2303) -> _T:
    """The trace (in place) with ovn-detrace's notes on the nodes whose lines
    make `rules`' ovn-detrace look them up.  A trace that carries notes
    already (an ovn-detrace output, or annotated before) is left as it is."""
    if trace.format != "ofproto/trace" or any(
            getattr(n, "annotations", None) for n in trace.walk()):
        return trace
    for node, line in _printed(trace):
        found = rules.lookups(line, ovs)
        if not found:
            continue
        notes = [DetraceNote("* " + body, node.line, indent=extra)
                 for what, key in found
                 for extra, body in resolver.notes(what, key)]
        if notes:
            node.add_notes(notes)
    return trace


def _printed(trace: Trace) -> Iterator[tuple[Node, str]]:
    """(node, its text) for every line of the trace that can name a cookie or a port."""
    for node in trace.walk():
        if isinstance(node, OfPass):
            for line in _pass_lines(node):
                yield node, line
        elif hasattr(node, "annotations") and not isinstance(node, DetraceNote):
            yield node, node.text


def _pass_lines(p: OfPass) -> Iterable[str]:
    if p.flow is not None:
        yield "Flow: " + p.flow
    if p.datapath_actions is not None:
        yield "Datapath actions: " + p.datapath_actions  # (24.09's rule_cookie=0x...)


def cookies(trace: Trace, rules: Rules = RULES_2303) -> list[str]:
    """The hex digits of the cookies ovn-detrace would look up in the trace, once each."""
    found: dict[str, None] = {}
    for _node, line in _printed(trace):
        for what, key in rules.lookups(line, False):
            if what == COOKIE:
                found[str(key)] = None
    return list(found)


__all__ = ["annotate", "cookies"]
