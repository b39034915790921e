"""`ovnparse detrace`: print what ovn-detrace prints for an ofproto/trace.

    ovs-appctl ofproto/trace br-int 'in_port=4,tcp,...' | \\
        ovnparse detrace --ovnnb nb.db --ovnsb sb.db

Same options as ovn-detrace (``--ovnnb``, ``--ovnsb``, ``--ovsdb``, ``--ovs``,
``--no-leader-only``, ``-p/-c/-C``; ``OVN_NB_DB``/``OVN_SB_DB`` and ovn-detrace's
unix sockets as defaults), each database a saved file or a live remote.  The
output is ovn-detrace 23.03's, byte for byte, except where ovn-detrace is wrong
(see ovnparse.detrace.run).  ``--extended`` keeps the indentation and adds what
ovn-detrace leaves out; ``--json`` prints the parsed trace with the notes.
"""

from __future__ import annotations

import os
import sys

from .. import jsonout
from ..api import PRINTED, annotated, detrace_text, replayable
from ..enrich.openflow import cookies
from ..errors import InputError, Problem
from ..formats.detrace_rules import COOKIE, Rules, family_of_release, split_lines
from . import database_kwargs, database_options

_OVN_RUNDIR = "/var/run/ovn"
_OVS_RUNDIR = "/var/run/openvswitch"


def add_arguments(p) -> None:
    p.description = ("Print what ovn-detrace (OVN 23.03) prints for an ofproto/trace output: "
                     "each cookie's logical flow, port binding, ... and the Northbound "
                     "object behind the flow, from saved database files or live databases.")
    p.add_argument("file", metavar="FILE", nargs="?", default="-",
                   help="ofproto/trace output (default: stdin)")
    p.add_argument("--ovnnb", "--nb", dest="ovnnb", metavar="DATABASE",
                   help="Northbound database: a saved file or a remote "
                        "(default: $OVN_NB_DB, else unix:$OVN_RUNDIR/ovnnb_db.sock)")
    p.add_argument("--ovnsb", "--sb", dest="ovnsb", metavar="DATABASE",
                   help="Southbound database: a saved file or a remote "
                        "(default: $OVN_SB_DB, else unix:$OVN_RUNDIR/ovnsb_db.sock)")
    p.add_argument("--ovsdb", metavar="DATABASE",
                   help="Open_vSwitch database, for --ovs (default: unix:$OVS_RUNDIR/db.sock)")
    p.add_argument("--ovs", action="store_true",
                   help="also name the OVS interfaces of in_port= and output: ports")
    database_options(p)
    p.add_argument("--ovn-release", default="23.03", metavar="VERSION",
                   help="print what the ovn-detrace of this OVN release prints (default 23.03;"
                        " 24.09-25.03 also look up rule_cookie=, 25.09 on keep the "
                        "indentation)")
    p.add_argument("--extended", action="store_true",
                   help="keep the trace's indentation; add the ACL name and Kubernetes owner "
                        "to ACL hints, resolve FDB/Static_MAC_Binding/Datapath_Binding cookies, "
                        "and warn about each cookie nothing resolves")
    p.add_argument("--json", action="store_true",
                   help="print the parsed trace(s) with the notes as JSON")


def run(args) -> int:
    from ..db import DbIndex
    from ..db.subset import narrow
    from ..enrich.detrace_notes import Resolver, read_interfaces

    sb_spec = args.ovnsb or os.environ.get("OVN_SB_DB") or \
        f"unix:{os.environ.get('OVN_RUNDIR', _OVN_RUNDIR)}/ovnsb_db.sock"
    nb_spec = args.ovnnb or os.environ.get("OVN_NB_DB") or \
        f"unix:{os.environ.get('OVN_RUNDIR', _OVN_RUNDIR)}/ovnnb_db.sock"
    ovs_spec = args.ovsdb
    if args.ovs and not ovs_spec:
        ovs_spec = f"unix:{os.environ.get('OVS_RUNDIR', _OVS_RUNDIR)}/db.sock"
    for spec in (nb_spec, sb_spec, ovs_spec):
        if _is_ssl(spec) and not (args.private_key and args.certificate and args.ca_cert):
            raise InputError(Problem(spec, 0, "an SSL connection needs -p/--private-key, "
                                     "-c/--certificate and -C/--ca-cert",
                                     "all three SSL options"))

    try:
        rules = PRINTED if args.extended else Rules(family_of_release(args.ovn_release))
    except ValueError as exc:
        raise InputError(Problem("--ovn-release", 0, str(exc), "23.03, 25.03, 25.09...")) \
            from None
    text = _read_input(args.file)
    source = "<stdin>" if args.file == "-" else args.file
    traces = replayable(text, source)
    sb = _open(sb_spec, "OVN_Southbound", args)
    nb = _open(nb_spec, "OVN_Northbound", args)
    interfaces = None
    if args.ovs:
        ovs = _open(ovs_spec, "Open_vSwitch", args)
        try:
            interfaces = read_interfaces(ovs)
        except LookupError as exc:
            raise InputError(Problem(ovs_spec, 0, str(exc), "an integration bridge")) from None
    # live or saved: read only the rows the trace's cookies name
    sb, nb = narrow(sb, nb, _cookies(text, traces, rules), extended=args.extended)
    resolver = Resolver(DbIndex(sb, nb), interfaces, extended=args.extended)
    if args.json:
        _print_json(annotated(traces or _parsed(text, source), resolver, args.ovs))
        return 0
    out = detrace_text(text, resolver, ovs=args.ovs, extended=args.extended, source=source,
                       traces=traces, release=args.ovn_release)
    # bytes out as they came in (a byte that is not UTF-8 is copied, not an error)
    sys.stdout.flush()
    sys.stdout.buffer.write(out.encode("utf-8", errors="surrogateescape"))
    sys.stdout.buffer.flush()
    if args.extended and resolver.unresolved:
        print(f"ovnparse: detrace: {len(resolver.unresolved)} cookie(s) resolved to nothing: "
              + " ".join(resolver.unresolved), file=sys.stderr)
    return 0


def _parsed(text: str, source: str):
    from ..api import parse_text
    return parse_text(text, source)


def _cookies(text: str, traces, rules: Rules) -> list[str]:
    """The cookies ovn-detrace looks up in the text."""
    if traces is not None:
        return [c for t in traces for c in cookies(t, rules)]
    return [str(key) for line in split_lines(text) for what, key in rules.lookups(line, False)
            if what == COOKIE]


def _print_json(traces) -> None:
    out = sys.stdout
    out.write("[")
    for n, trace in enumerate(traces):
        out.write(",\n" if n else "\n")
        jsonout.dump(trace.to_dict(), out, indent=1)
    out.write("\n]\n")


def _is_ssl(spec: str | None) -> bool:
    return spec is not None and (spec.startswith("ssl:") or ",ssl:" in spec)


def _read_input(path: str) -> str:
    try:
        if path == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(path, "rb") as f:
                data = f.read()
    except OSError as exc:
        raise InputError(Problem(path, 0, f"cannot read: {exc.strerror}",
                                 "an ofproto/trace output")) from None
    return data.decode("utf-8", errors="surrogateescape")


def _open(spec: str, schema: str, args):
    """A saved file or a live remote holding `schema` (db/open.py)."""
    from ..db.open import open_database_for
    source = open_database_for(spec, schema, **database_kwargs(args))
    for warning in getattr(source, "warnings", ()) or ():
        print(f"ovnparse: warning: {spec}: {warning}", file=sys.stderr)
    return source
