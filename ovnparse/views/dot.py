"""Path graphs drawn: DOT text (pure Python), and SVG/PNG through Graphviz's `dot`.

`to_dot(graph)` takes a `PathGraph` or a networkx DiGraph made by
views/graph.py (or `merge()`); the look says what each node is without
reading it: the packet's source grey, switches blue, routers orange, the
drop a red octagon, outputs green, a punt yellow.  Where `count` is above one
(merged traces), nodes and edges say how many and edges get thicker.

`render(dot_text, "svg" | "png")` runs `dot`; without it, `GraphvizMissing`
(an OvnparseError: one line saying how to install it).
"""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

from ..errors import OvnparseError

FORMATS = ("svg", "png")
INSTALL = ("install Graphviz (Debian/Ubuntu: apt-get install graphviz; Fedora: dnf install "
           "graphviz; macOS: brew install graphviz)")

_NODE_STYLE = {
    "input": {"shape": "box", "style": "rounded,filled", "fillcolor": "#e6e6e6",
              "color": "#666666"},
    "datapath": {"shape": "box", "style": "filled", "fillcolor": "#d6e6f5", "color": "#3d6e9e",
                 "penwidth": "1.5"},
    "bridge": {"shape": "box", "style": "filled", "fillcolor": "#eeeeee", "color": "#777777"},
    "stage": {"shape": "box", "style": "filled", "fillcolor": "#f3f7fb", "color": "#8aa4bf",
              "fontsize": "10"},
    "openflow_table": {"shape": "box", "style": "filled", "fillcolor": "#f5f5f5",
                       "color": "#999999", "fontsize": "10"},
    "pipeline": {"shape": "box", "style": "filled", "fillcolor": "#f3f7fb", "color": "#8aa4bf"},
    "drop": {"shape": "octagon", "style": "filled,bold", "fillcolor": "#f8d0d0",
             "color": "#b00000", "fontcolor": "#800000", "penwidth": "2.5"},
    "output": {"shape": "box", "style": "rounded,filled,bold", "fillcolor": "#d5ecd0",
               "color": "#2f7a1f", "fontcolor": "#1d4d13", "penwidth": "2"},
    "reply": {"shape": "box", "style": "rounded,dashed", "color": "#b06000"},
    "controller": {"shape": "hexagon", "style": "filled", "fillcolor": "#fff2c2",
                   "color": "#a08000"},
    "incomplete": {"shape": "note", "style": "filled", "fillcolor": "#eeeeee"},
    "error": {"shape": "note", "style": "filled", "fillcolor": "#f8d0d0"},
}
_ROUTER = {"fillcolor": "#fbe3c4", "color": "#b3701a"}
_EDGE_STYLE = {
    "recirculation": {"style": "dashed", "color": "#6a3d9a"},
    "conntrack": {"style": "dashed", "color": "#6a3d9a"},
    "drop": {"color": "#b00000", "penwidth": "2"},
    "output": {"color": "#2f7a1f", "penwidth": "2"},
    "enter": {"color": "#666666"},
}


class GraphvizMissing(OvnparseError):
    """Graphviz's `dot` is not installed."""

    def __init__(self, what: str = "drawing SVG or PNG"):
        super().__init__(f"{what} needs Graphviz's dot, which is not installed: {INSTALL} "
                         "(DOT text needs nothing: write to a .dot file)")


def dot_available() -> bool:
    return shutil.which("dot") is not None


def to_dot(graph: Any, name: str = "trace") -> str:
    """The graph as Graphviz DOT text."""
    attrs, nodes, edges = _parts(graph)
    level = attrs.get("level", "datapath")
    out = [f"digraph {_quote(name)} {{",
           f"  rankdir={'LR' if level == 'datapath' else 'TB'};",
           '  graph [fontname="Helvetica", fontsize=12, labelloc=t, nodesep=0.3, ranksep=0.35'
           + (f", label={_quote(attrs['title'])}" if attrs.get("title") else "") + "];",
           '  node [fontname="Helvetica", fontsize=11, margin="0.15,0.06"];',
           '  edge [fontname="Helvetica", fontsize=9, color="#4a4a4a"];']
    for node, a in nodes:
        kind = a.get("kind", "")
        style = dict(_NODE_STYLE.get(kind, {"shape": "box"}))
        if kind == "datapath" and a.get("datapath_type") == "router":
            style.update(_ROUTER)
        label = str(a.get("label") or node)
        count = a.get("count", 1)
        if count and count > 1:
            label += f"\n× {count}"
        style["label"] = label
        out.append(f"  {_quote(node)} [{_attrs(style)}];")
    top = max((a.get("count", 1) for _, _, a in edges), default=1) or 1
    for u, v, a in edges:
        style = dict(_EDGE_STYLE.get(a.get("kind", ""), {}))
        label = str(a.get("label") or "")
        count = a.get("count", 1)
        if count and count > 1:
            label = f"{label} (× {count})" if label else f"× {count}"
            style["penwidth"] = f"{1 + 4 * count / top:.1f}"
        if label:
            style["label"] = label
        out.append(f"  {_quote(u)} -> {_quote(v)}" + (f" [{_attrs(style)}]" if style else "")
                   + ";")
    out.append("}")
    return "\n".join(out) + "\n"


def render(dot_text: str, fmt: str = "svg", timeout: float = 60.0) -> bytes:
    """DOT drawn by Graphviz as `fmt` (svg, png)."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    dot = shutil.which("dot")
    if dot is None:
        raise GraphvizMissing(f"drawing {fmt.upper()}")
    try:
        done = subprocess.run([dot, f"-T{fmt}"], input=dot_text.encode(), capture_output=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise OvnparseError(f"Graphviz's dot took more than {timeout:.0f} s") from None
    if done.returncode != 0:
        first = (done.stderr.decode(errors="replace").strip().splitlines() or ["no message"])[0]
        raise OvnparseError(f"Graphviz's dot failed: {first}")
    return done.stdout


def svg_element(dot_text: str) -> str:
    """The `<svg>` element of the drawing, for inlining in HTML (no XML prolog)."""
    svg = render(dot_text, "svg").decode()
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


def _parts(graph: Any) -> tuple[dict, list, list]:
    """(graph attributes, [(node, attrs)], [(u, v, attrs)]) of a PathGraph or a networkx graph."""
    if isinstance(graph.nodes, dict):  # PathGraph
        return (graph.graph, list(graph.nodes.items()),
                [(u, v, a) for (u, v), a in graph.edges.items()])
    return (graph.graph, list(graph.nodes(data=True)), list(graph.edges(data=True)))


def _quote(text: Any) -> str:
    s = str(text).replace("\\", "\\\\").replace('"', '\\"')
    s = s.replace("\r", "").replace("\n", "\\n")
    return f'"{s}"'


def _attrs(style: dict[str, str]) -> str:
    return ", ".join(f"{k}={_quote(v)}" for k, v in style.items())
