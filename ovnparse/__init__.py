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
    compare(a, b)                    two traces of one packet
    Trace, Explanation, Verdict, Problem, OvnparseError, InputError, DatabaseError

The layers below (`ovnparse.model`, `formats`, `enrich`, `analysis`,
`views`, `db`) are importable too; see the README's module map.
"""

from ._version import __version__
from .analysis import Explanation, Verdict
from .api import compare, explain, open_databases, parse, parse_stream, parse_text, read, read_text
from .errors import DatabaseError, InputError, OvnparseError, Problem
from .face import Trace

__all__ = ["__version__", "parse", "parse_stream", "parse_text", "read", "read_text",
           "explain", "open_databases", "compare", "Trace", "Explanation", "Verdict",
           "Problem", "OvnparseError", "InputError", "DatabaseError"]
