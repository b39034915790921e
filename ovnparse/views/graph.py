"""A trace's path as a graph, for every format: datapath hops or every step.

`path_graph(trace, explanation, level)` builds a `PathGraph` (plain
dictionaries: drawing it as DOT needs nothing else); `to_networkx()` makes
it a `networkx.DiGraph`, imported only then.

- level "datapath": the logical switches and routers in the order the packet
  crossed them (node id: the datapath's name), each hop labelled with the
  ports crossed; an OpenFlow trace whose notes (ovn-detrace's, or the
  databases') name no datapath stands in its bridges, told apart by the
  OpenFlow `metadata` (the logical datapath's tunnel key).
- level "stage": every logical stage (`<datapath>/<pipeline>/<table>`) or
  OpenFlow table (`<bridge>/<table>`, with its `metadata` when it matches
  one) in order; forks, conntrack recirculations and pipelines entered are
  edges labelled with what led there.

At both levels the packet's source is a node (kind "input"), and every end
of a branch is a leaf: the drop (kind "drop", `drop=True`, with the stage,
table, priority, ACL and owner), each output port (kind "output"), a punt to
ovn-controller, an error reply OVN makes instead, or where the text stops.
Every node has `kind`, `label` and `count`; every edge `kind`, `label`,
`count`.  `merge()` adds many traces' graphs up: the counts say which path
most packets took and where they died.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..analysis.explanation import Drop, Explanation
from ..analysis.steps import OPENFLOW, PIPELINE, StepRow, is_openflow, port_of_output, step_rows
from ..enrich.owners import describe
from ..lines import decimal
from ..model import OfTable, Stage, Trace

if TYPE_CHECKING:
    import networkx as nx

LEVELS = ("datapath", "stage")
_IN_PORT = re.compile(r"(?:^|,)in_port=([^,]+)")


class PathGraph:
    """Nodes and edges as dictionaries of attributes, in insertion order."""

    def __init__(self, **attrs: Any):
        self.graph: dict[str, Any] = dict(attrs)
        self.nodes: dict[str, dict[str, Any]] = {}
        self.edges: dict[tuple[str, str], dict[str, Any]] = {}

    def add_node(self, node: str, **attrs: Any) -> str:
        found = self.nodes.get(node)
        if found is None:
            self.nodes[node] = {"count": 1, **attrs}
        return node

    def add_edge(self, u: str, v: str, **attrs: Any) -> None:
        if u == v:
            return
        found = self.edges.get((u, v))
        if found is None:
            self.edges[(u, v)] = {"count": 1, **attrs}
        elif attrs.get("label") and attrs["label"] not in (found.get("label") or ""):
            found["label"] = ", ".join(x for x in (found.get("label"), attrs["label"]) if x)

    def to_networkx(self) -> nx.DiGraph:
        import networkx as nx
        g = nx.DiGraph(**self.graph)
        g.add_nodes_from(self.nodes.items())
        g.add_edges_from((u, v, attrs) for (u, v), attrs in self.edges.items())
        return g

    def __repr__(self) -> str:
        return f"<PathGraph {len(self.nodes)} nodes, {len(self.edges)} edges>"


def path_graph(trace: Trace, level: str = "datapath") -> nx.DiGraph:
    """The path of one trace at a level, as a networkx DiGraph (see the module's doc)."""
    from ..analysis import explain
    return build_path(trace, explain(trace), level).to_networkx()


def build_path(trace: Trace, explanation: Explanation, level: str = "datapath",
               rows: list[StepRow] | None = None) -> PathGraph:
    """The path of one trace (enriched, if databases were given) at a level."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    rows = step_rows(trace) if rows is None else rows
    ex = explanation
    g = PathGraph(level=level, format=trace.format, source=trace.source,
                  lines=[trace.first_line, trace.last_line], verdict=str(ex.verdict),
                  traces=1, title=_title(trace, ex))
    start = _start(trace, rows, g)
    ids = _stage_ids(rows) if level == "stage" else _datapath_ids(rows, g)
    for row in rows:
        here = ids[row.step]
        if level == "stage":
            g.add_node(here, **_stage_node(row))
        if row.previous is None:
            g.add_edge(start, here, kind="enter", label="")
        else:
            g.add_edge(ids[row.previous], here, **_edge(rows[row.previous], row, level))
    for kind, end, attrs in _endings(trace, ex, rows):
        where = ids[end.step] if end is not None else start
        leaf = _leaf(g, kind, end, attrs)
        label = ""
        if level == "datapath" and end is not None and end.pipeline and kind != "output":
            label = end.pipeline + (f", to {end.outport}" if end.pipeline == "egress"
                                    and end.outport else "")
        g.add_edge(where, leaf, kind=kind, label=label)
    if len(g.nodes) == 1:  # nothing printed but the packet: say the verdict
        g.add_edge(start, g.add_node(f"{ex.verdict}", kind=str(ex.verdict),
                                     label=str(ex.verdict).upper()), kind=str(ex.verdict))
    return g


def _title(trace: Trace, ex: Explanation) -> str:
    name = trace.source.rsplit("/", 1)[-1]
    return f"{name} lines {trace.first_line}-{trace.last_line}: {trace.format}, {ex.verdict}"


# --- nodes ---------------------------------------------------------------------------------

def _start(trace: Trace, rows: list[StepRow], g: PathGraph) -> str:
    """The packet's source: the first pipeline's inport, the in_port of an
    OpenFlow trace (its logical port when a note names it), else the packet."""
    port = None
    if rows and rows[0].inport:
        port = rows[0].inport
    elif rows and rows[0].kind == OPENFLOW:
        node = rows[0].node
        pb = next((n for n in getattr(node, "annotations", ()) if n.what == "port_binding"),
                  None)
        from ..formats.detrace_rules import note_fields
        port = note_fields(pb).get("logical_port") if pb is not None else None
        if port is None:
            m = _IN_PORT.search(trace.roots[0].text if trace.roots else "")
            port = f"in_port {m.group(1)}" if m else None
    label = f"from {port}" if port else "packet"
    return g.add_node(f"from {port}" if port else "packet", kind="input", label=label,
                      port=port)


def _datapath_ids(rows: list[StepRow], g: PathGraph) -> dict[int, str]:
    """Row -> its datapath-level node (added to g): the logical datapath; for a
    table that names none, the datapath its `metadata` stands for in the other
    rows, else the one before it on its branch; else the bridge (and metadata)."""
    ids: dict[int, str] = {}
    by_meta = {m: r.datapath for r in rows if r.datapath and (m := r.metadata)}
    for row in rows:
        meta = row.metadata
        name = row.datapath or by_meta.get(meta or "")
        if name:
            if name not in g.nodes:
                g.add_node(name, kind="datapath", label=name)
        elif row.previous is not None and meta is None and row.previous in ids:
            ids[row.step] = ids[row.previous]
            continue
        elif row.kind == OPENFLOW:
            meta = meta or _sets_metadata(row)
            name = f"{row.bridge or 'bridge'}" + (f" metadata={meta}" if meta else "")
            if name not in g.nodes:
                g.add_node(name, kind="bridge", label=name.replace(" ", "\n"))
        else:
            name = g.add_node("packet", kind="input", label="packet")
        dtype = _datapath_type(row.stage)
        node = g.nodes[name]
        if dtype and node.get("kind") == "datapath" and "datapath_type" not in node:
            node["datapath_type"] = dtype
            node["label"] = f"{name}\nlogical {dtype}"
        ids[row.step] = name
    return ids


_SET_METADATA = re.compile(r"set_field:(0x[0-9a-fA-F]+|\d+)->metadata\b")


def _sets_metadata(row: StepRow) -> str | None:
    """The metadata a step sets (table 0: the datapath of the port the packet came in by)."""
    m = _SET_METADATA.search(row.openflow_actions or "")
    if m is None:
        return None
    value = m.group(1)  # (not int(x, 0): it refuses `085`)
    return hex(int(value, 16) if value[:2] in ("0x", "0X") else decimal(value))


def _datapath_type(stage: str | None) -> str | None:
    if stage and stage.startswith("ls_"):
        return "switch"
    if stage and stage.startswith("lr_"):
        return "router"
    return None


def _stage_ids(rows: list[StepRow]) -> dict[int, str]:
    ids = {}
    for row in rows:
        if row.datapath and row.pipeline and row.table is not None:
            ids[row.step] = f"{row.datapath}/{row.pipeline}/{row.table}"
        elif row.kind == PIPELINE:
            ids[row.step] = f"{row.datapath}/{row.pipeline or 'multicast'}"
        elif row.kind == OPENFLOW:
            meta = row.metadata
            ids[row.step] = f"{row.bridge or 'bridge'}/{row.openflow_table}" + (
                f" metadata={meta}" if meta else "")
        else:
            ids[row.step] = f"table {row.table} line {row.line}"
    return ids


def _stage_node(row: StepRow) -> dict[str, Any]:
    if row.kind == PIPELINE:
        label = f"{row.datapath}\n{row.pipeline or 'multicast'}"
    else:
        first = row.stage or (f"OpenFlow table {row.openflow_table}"
                              if row.kind == OPENFLOW else f"table {row.table}")
        lines = [first]
        if row.stage and row.datapath:
            lines.append(f"{row.datapath} {row.pipeline or ''} {row.table}".replace("  ", " "))
        if row.kind == OPENFLOW and row.stage:
            lines.append(f"OpenFlow table {row.openflow_table}")
        if row.no_match:
            lines.append("no match")
        elif row.priority is not None:
            lines.append(f"priority {row.priority}")
        elif row.openflow_priority is not None:
            lines.append(f"priority {row.openflow_priority}")
        if row.acl:
            lines.append(f"ACL {row.acl}" + (f" ({row.acl_action})" if row.acl_action else ""))
        label = "\n".join(lines)
    return {"kind": row.kind, "label": label, "datapath": row.datapath,
            "pipeline": row.pipeline, "table": row.table, "stage": row.stage,
            "openflow_table": row.openflow_table, "line": row.line}


def _edge(prev: StepRow, row: StepRow, level: str) -> dict[str, Any]:
    via = row.via or ""
    if via.startswith("recirc("):
        kind = "recirculation"
    elif via.startswith("ct_"):
        kind = "conntrack"
    elif row.pipeline and prev.pipeline and (row.pipeline, row.datapath) != (
            prev.pipeline, prev.datapath):
        kind = "pipeline"
    elif via:
        kind = "fork"
    else:
        kind = "next"
    label = via
    if level == "datapath":
        kind = "hop" if kind in ("pipeline", "next", "fork") else kind
        if row.datapath != prev.datapath and row.inport:
            label = " → ".join(x for x in (prev.outport, row.inport) if x)
    return {"kind": kind, "label": label}


# --- the ends of the branches -----------------------------------------------------------

def _endings(trace: Trace, ex: Explanation, rows: list[StepRow]
             ) -> list[tuple[str, StepRow | None, dict]]:
    """(kind, the row it ends at or None, attributes) for each end of a branch."""
    by_line = {r.line: r for r in rows}
    out: list[tuple[str, StepRow | None, dict]] = []
    drop_row = by_line.get(ex.drop.line) if ex.drop and ex.drop.line is not None else None
    if ex.endings:  # logical traces (their nodes may be an enriched copy's: lines, not ids)
        explained = False
        for e in ex.endings:
            at = e.acted if isinstance(e.acted, Stage) else (e.stage or e.pipeline)
            row = by_line.get(at.line) if at is not None else None
            if row is None and e.pipeline is not None:
                row = by_line.get(e.pipeline.line)
            if e.kind == "output" and e.reply is not None:
                out.append(("reply", row, {"port": e.port, "reply": e.reply.name}))
            elif e.kind == "output":
                out.append(("output", row, {"port": e.port}))
            elif e.kind == "drop":
                if ex.drop is not None and not explained and (
                        drop_row is None or drop_row.line in _lines(e.stage, at, e.reply_stage)):
                    explained = True
                    out.append(("drop", row or drop_row, {"drop": ex.drop, "point": drop_row}))
                else:
                    out.append(("drop", row, {"note": e.note}))
            else:
                out.append((e.kind, row, {"note": e.note, "port": e.port}))
        if ex.drop is not None and not explained:
            out.append(("drop", drop_row, {"drop": ex.drop, "point": drop_row}))
        return out
    if is_openflow(trace):
        for row in rows:
            port = port_of_output(row.node) if isinstance(row.node, OfTable) else None
            if port is not None:
                out.append(("output", row, {"port": port}))
        last = rows[-1] if rows else None
        if ex.drop is not None:
            acted = ex.drop.acl_action
            at = by_line.get(acted["line"]) if acted and acted.get("line") else None
            out.append(("drop", at or drop_row or last, {"drop": ex.drop, "point": drop_row}))
        elif ex.verdict in ("controller", "incomplete", "error") or not out:
            ports = _datapath_outputs(trace) if ex.verdict in ("delivered", "flooded") else []
            out.extend(("output", last, {"port": f"datapath port {p}"}) for p in ports)
            if not ports:
                out.append((str(ex.verdict), last, {"note": _first_warning(ex)}))
        return out
    if ex.checks:  # ovnkube-trace: its tools' verdicts (the embedded traces have the paths)
        for check in ex.checks:
            kind = "output" if check.get("result") == "success" else "drop"
            out.append((kind, None, {"check": check}))
        return out
    if ex.drop is not None:
        out.append(("drop", drop_row, {"drop": ex.drop, "point": drop_row}))
    elif not (ex.verdict in ("delivered", "flooded") and ex.outputs):
        out.append((str(ex.verdict), rows[-1] if rows else None,
                    {"note": _first_warning(ex)}))
    for port in ex.outputs or ():
        out.append(("output", rows[-1] if rows else None, {"port": port}))
    return out


def _datapath_outputs(trace: Trace) -> list[str]:
    """The ports the datapath actions of the trace's passes output to (bare numbers)."""
    ports: list[str] = []
    for p in trace.roots:
        for item in (getattr(p, "datapath_actions", None) or "").split(","):
            item = item.strip()
            if item.isdigit() and item not in ports:
                ports.append(item)
    return ports


def _lines(*nodes) -> set[int]:
    return {n.line for n in nodes if n is not None}


def _first_warning(ex: Explanation) -> str:
    return ex.warnings[0].message if ex.warnings else ""


def _leaf(g: PathGraph, kind: str, row: StepRow | None, attrs: dict) -> str:
    check = attrs.get("check")
    if check is not None:
        what = " ".join(x for x in (check.get("tool"), check.get("direction")) if x)
        node = f"{what}: {check.get('result')}"
        g.add_node(node, kind=kind, drop=kind == "drop", label=f"{node}\n{check.get('src')} → "
                   f"{check.get('dst')}", line=check.get("line"), port=check.get("dst"))
        return node
    if kind == "drop":
        drop: Drop | None = attrs.get("drop")
        where = _drop_where(row, drop)
        node = f"drop: {where}"
        g.add_node(node, **_drop_attrs(attrs.get("point") or row, drop, where, attrs.get("note")))
        return node
    if kind in ("output", "reply"):
        port = attrs.get("port") or "?"
        node = port if kind == "output" else f"{attrs.get('reply')} reply to {port}"
        if node in g.nodes and g.nodes[node].get("kind") != kind:
            node = f"port {node}"
        label = f"to {port}" if kind == "output" else f"{attrs.get('reply')} reply\nto {port}"
        g.add_node(node, kind=kind, label=label, port=port)
        return node
    where = row.where() if row is not None else "the start"
    node = f"{kind}: {where}"
    note = attrs.get("note") or ""
    g.add_node(node, kind=kind, label=kind.upper() + (f"\n{_short(note, 60)}" if note else ""),
               note=note)
    return node


def _drop_where(row: StepRow | None, drop: Drop | None) -> str:
    if drop is not None and (drop.stage or drop.openflow_table is not None):
        parts = [drop.datapath, drop.pipeline, drop.stage]
        if drop.stage is None and drop.openflow_table is not None:
            parts.append(f"OpenFlow table {drop.openflow_table}")
        return " ".join(p for p in parts if p)
    if row is not None:
        return row.where()
    return "unknown point"


def _drop_attrs(row: StepRow | None, drop: Drop | None, where: str,
                note: str | None) -> dict[str, Any]:
    lines = ["DROPPED"]
    attrs: dict[str, Any] = {"kind": "drop", "drop": True}
    if drop is not None:
        table = drop.table if drop.table is not None else (row.table if row else None)
        stage = drop.stage or (row.stage if row else None)
        if stage:
            lines.append(stage + (f" ({drop.pipeline} table {table})"
                                  if drop.pipeline and table is not None else ""))
        if drop.openflow_table is not None:
            lines.append(f"OpenFlow table {drop.openflow_table}"
                         + (f", cookie {drop.cookie}" if drop.cookie else ""))
        if drop.priority is not None:
            lines.append(f"priority {drop.priority}")
        acl = drop.acl.name if drop.acl else (drop.acl_log or {}).get("acl") or (
            row.acl if row else None)
        owner = drop.owner or (row.owner if row else None)
        if acl:
            lines.append(f"ACL {acl}")
        if owner is not None:
            lines.extend(_wrap(describe(owner).replace(" [legacy ids]", ""), 44))
        elif not acl:
            lines.append(_short(drop.reason, 60))
        attrs.update(stage=stage, table=table, datapath=drop.datapath, pipeline=drop.pipeline,
                     priority=drop.priority, lflow=drop.lflow, reason_code=str(drop.reason_code),
                     reason=drop.reason, acl=acl, owner=describe(owner) if owner else None,
                     openflow_table=drop.openflow_table, cookie=drop.cookie, line=drop.line)
    else:
        if row is not None and row.stage:
            lines.append(row.stage)
        if note:
            lines.append(_short(note, 60))
        attrs.update(stage=row.stage if row else None, table=row.table if row else None,
                     acl=row.acl if row else None, owner=None, note=note)
    attrs["label"] = "\n".join(lines)
    attrs["where"] = where
    return attrs


def _wrap(text: str, width: int) -> list[str]:
    import textwrap
    return textwrap.wrap(text, width) or [text]


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[:n - 1] + "…"


# --- many traces ---------------------------------------------------------------------------

def merge(graphs: Iterable[Any]) -> nx.DiGraph:
    """Many traces' graphs (networkx DiGraphs or PathGraphs) added up: the
    nodes and edges of all, `count` summed; the graph's `traces` too."""
    import networkx as nx
    out = nx.DiGraph()
    traces = 0
    for g in graphs:
        if isinstance(g, PathGraph):
            g = g.to_networkx()
        traces += g.graph.get("traces", 1)
        for key in ("level", "format", "source"):
            if key in g.graph:
                value = out.graph.setdefault(key, g.graph[key])
                if value != g.graph[key]:
                    out.graph[key] = "mixed" if key != "source" else "several files"
        for node, attrs in g.nodes(data=True):
            if node in out:
                out.nodes[node]["count"] = out.nodes[node].get("count", 1) + attrs.get("count", 1)
            else:
                out.add_node(node, **{**attrs, "count": attrs.get("count", 1)})
        for u, v, attrs in g.edges(data=True):
            if out.has_edge(u, v):
                out.edges[u, v]["count"] = out.edges[u, v].get("count", 1) + attrs.get("count", 1)
            else:
                out.add_edge(u, v, **{**attrs, "count": attrs.get("count", 1)})
    out.graph["traces"] = traces
    out.graph["title"] = f"{traces} traces" + (f" of {out.graph['source']}"
                                               if out.graph.get("source") else "")
    return out

