"""`ovnparse graph`: the path of the packet(s) as a picture.

    ovnparse graph trace.txt -o path.png
    ovnparse graph --level stage --nb nb.db --sb sb.db trace.txt -o path.svg

Every trace of FILE, their graphs added up (`count` on the nodes and edges:
the path most packets took, where they died), or one with `--trace N`.  The
output's suffix says what to write: `.dot` (Graphviz DOT text, needs
nothing), `.svg` and `.png` (drawn by Graphviz's dot), `.html` (a page with
the drawing and each trace's card).  Without `-o`, DOT on stdout.
"""

from __future__ import annotations

import os
import sys

from ..errors import InputError, Problem
from . import database_kwargs, database_options

SUFFIXES = (".dot", ".gv", ".svg", ".png", ".html")
MAX_CARDS = 50  # cards in an HTML page


def add_arguments(p) -> None:
    p.description = ("Draw the path of the packet (all traces of FILE added up, or one): "
                     "datapath hops, or every stage / OpenFlow table, with the drop and the "
                     "outputs as leaves.")
    p.add_argument("file", metavar="FILE", help="trace text, or - for stdin")
    p.add_argument("--level", choices=("datapath", "stage"), default="datapath",
                   help="datapath hops (default) or every stage / OpenFlow table")
    p.add_argument("--trace", type=int, metavar="N",
                   help="only the Nth trace of FILE (from 1); default: all, added up")
    p.add_argument("-o", "--output", metavar="OUT",
                   help="out.dot, out.svg, out.png or out.html (default: DOT on stdout)")
    p.add_argument("--format", help="skip detection and read the text as this format")
    p.add_argument("--nb", metavar="DB", help="Northbound database (saved file or remote)")
    p.add_argument("--sb", metavar="DB", help="Southbound database (saved file or remote): "
                   "names the logical datapaths of an ofproto/trace, the ACL and its owner")
    database_options(p)


def run(args) -> int:
    from ..api import open_databases, parse
    from ..views.dot import GraphvizMissing, dot_available, render, svg_element, to_dot
    from ..views.graph import merge

    out = args.output
    suffix = os.path.splitext(out)[1].lower() if out else ".dot"
    if suffix not in SUFFIXES:
        raise InputError(Problem(out, 0, f"cannot write a graph as {suffix or 'this'}",
                                 "an output file ending in " + ", ".join(SUFFIXES)))
    if suffix in (".svg", ".png") and not dot_available():
        raise GraphvizMissing(f"writing {out}")
    if args.trace is not None and args.trace < 1:
        raise InputError(Problem("--trace", 0, f"no trace {args.trace}", "a number from 1"))
    db = None
    if args.nb or args.sb:
        db = open_databases(args.nb, args.sb, **database_kwargs(args))
        for warning in db.warnings:
            print(f"ovnparse: warning: {warning}", file=sys.stderr)
    traces: list = []
    graphs: list = []
    for n, trace in enumerate(parse(args.file, args.format, db=db), 1):
        if args.trace is not None and n != args.trace:
            continue
        graphs.append(trace.graph(args.level))
        if suffix == ".html" and len(traces) < MAX_CARDS:
            traces.append(trace)
        if args.trace is not None:
            break
    if not graphs:
        raise InputError(Problem(args.file, 0, f"no trace {args.trace}" if args.trace
                                 else "no trace", "a trace"))
    graph = graphs[0] if len(graphs) == 1 else merge(graphs)
    dot_text = to_dot(graph)
    if suffix in (".dot", ".gv"):
        data = dot_text.encode()
    elif suffix in (".svg", ".png"):
        data = render(dot_text, suffix[1:])
    else:
        data = _page(args, graph, dot_text, traces, len(graphs), svg_element).encode()
    if out is None:
        sys.stdout.write(dot_text)
    else:
        with open(out, "wb") as f:
            f.write(data)
    return 0


def _page(args, graph, dot_text: str, traces, count: int, svg_element) -> str:
    from html import escape

    from ..views.dot import INSTALL, dot_available
    from ..views.html import explanation_card
    title = f"{args.file}: {count} trace{'s' if count != 1 else ''}, {args.level} level"
    drawing = (svg_element(dot_text) if dot_available()
               else f"<p>(the drawing needs Graphviz: {escape(INSTALL)})</p>")
    cards = "".join(explanation_card(t.explain()) for t in traces)
    more = (f"<p>… and {count - len(traces)} more traces</p>" if count > len(traces) else "")
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>"
            f"{escape(title)}</title></head><body><h3>{escape(title)}</h3>{drawing}{cards}"
            f"{more}</body></html>\n")
