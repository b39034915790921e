"""A trace's path as a networkx graph of logical datapath visits."""

from __future__ import annotations

import networkx as nx

from ..model import Node, Output, Pipeline, Trace


def path_graph(trace: Trace) -> nx.DiGraph:
    """Nodes: datapaths and output ports; edges: the packet moving between them.

    Each edge carries the ports it crossed (`via`) and the trace line where
    the next pipeline starts.
    """
    graph = nx.DiGraph()
    _walk(trace.roots, None, graph)
    return graph


def _walk(items: list[Node], current: str | None, graph: nx.DiGraph) -> None:
    for node in items:
        here = current
        if isinstance(node, Pipeline) and node.datapath is not None:
            here = node.datapath
            graph.add_node(here, kind="datapath")
            if current is not None and current != here:
                graph.add_edge(current, here, via=node.inport, line=node.line)
        elif isinstance(node, Output) and node.port is not None and current is not None \
                and node.port_type not in ("patch", "l3gateway"):
            graph.add_node(node.port, kind="port", port_type=node.port_type)
            graph.add_edge(current, node.port, via=node.port, line=node.line)
        _walk(node.children, here, graph)
