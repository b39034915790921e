"""ovnparse: turn OVN and Open vSwitch trace printouts into data.

It reads what `ovn-trace` (--detailed, --summary, --minimal), `ovs-appctl
ofproto/trace`, `ovn-detrace` and `ovnkube-trace` print, says what happened
to the packet, and with the OVN databases (saved files or live servers, only
ever read) names the logical flow, the ACL and the Kubernetes object behind
a drop.

A notebook session::

    >>> import ovnparse
    >>> traces = ovnparse.read("samples/acl-ingress-default-deny/ovn-trace.detailed.txt")
    >>> trace = traces[0]
    >>> trace.verdict
    <Verdict.DROPPED: 'dropped'>
    >>> trace.drop.stage, trace.drop.priority
    ('ls_out_acl', 2000)
    >>> db = ovnparse.open_databases(nb="samples/db/base/nb.db", sb="samples/db/base/sb.db")
    >>> ex = trace.explain(db)
    >>> ex.drop.acl.name, ex.drop.owner.kind, ex.drop.owner.namespace
    ('NP:default:Ingress', 'NetpolNamespace', 'default')
    >>> ex.to_dict()["verdict"]
    'dropped'

For a long file, `ovnparse.parse(path)` yields the traces one at a time
(memory stays flat).  The face:

    parse, parse_stream, parse_text  traces of a file / stream / text (iterator; list)
    read, read_text                  the same, as lists
    explain(trace, db=None)          an Explanation (trace.explain() does the same)
    open_databases(nb, sb, ...)      saved files or live remotes, opened once
    frame(sources, db=None, ...)     many files, folders, archives -> one DataFrame, a row a trace
    compare(a, b)                    two traces of one packet: same verdict, or why not
    diff(a, b)                       ... step by step: first divergence, causes (TraceDiff)
    merge(graphs)                    many traces' path graphs added up (counts)
    parse_match, parse_actions       OVN's match and action language (ovnparse.expr)
    Trace, Explanation, Verdict, Problem, OvnparseError, InputError, DatabaseError

In a notebook a Trace, an Explanation and a TraceDiff show as cards;
`trace.to_frame()` (pandas), `trace.graph(level)` (networkx), `trace.to_dot()`
and `trace.to_svg()` (Graphviz) give the steps and the path.

The layers below (`ovnparse.model`, `formats`, `enrich`, `analysis`,
`views`, `db`) are importable too; see the README's module map.
"""

from ._version import __version__
from .analysis import Explanation, Verdict
from .analysis.diff import TraceDiff, diff
from .api import compare, explain, open_databases, parse, parse_stream, parse_text, read, read_text
from .batch.frame import frame
from .errors import DatabaseError, InputError, OvnparseError, Problem
from .face import Trace
from .views.graph import merge

__all__ = ["__version__", "parse", "parse_stream", "parse_text", "read", "read_text",
           "frame", "explain", "open_databases", "compare", "diff", "merge", "parse_match",
           "parse_actions", "Trace", "Explanation", "Verdict", "TraceDiff", "Problem",
           "OvnparseError", "InputError", "DatabaseError", "ExpressionError"]

_EXPR = ("parse_match", "parse_actions", "ExpressionError")


def __getattr__(name: str):
    # OVN's expression language (ovnparse.expr) is loaded when first asked for.
    if name in _EXPR:
        from . import expr
        return getattr(expr, name)
    raise AttributeError(f"module 'ovnparse' has no attribute {name!r}")
