"""`ovnparse` command line: parse and explain trace printouts.

Exit status: 0 done (and, with --expect, every verdict matched; with
compare, the verdicts agree); 1 a verdict did not match --expect, or compare's
verdicts differ; 2 the input or the command line was wrong.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys

from . import __version__
from .analysis import explain
from .analysis.compare import compare
from .api import parse
from .commands import COMMANDS
from .errors import InputError, Problem
from .formats.registry import PARSERS
from .views import text as text_view

VERDICTS = ("delivered", "flooded", "dropped", "controller", "incomplete", "error")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.func(args)
    except InputError as exc:
        print(f"ovnparse: {exc.problem}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="ovnparse", description=__doc__.splitlines()[0])
    top.add_argument("--version", action="version", version=f"ovnparse {__version__}")
    sub = top.add_subparsers(required=True, metavar="COMMAND")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("file", metavar="FILE", help="trace text, or - for stdin")
        p.add_argument("--format", choices=sorted(PARSERS),
                       help="skip detection and read the text as this format")

    p = sub.add_parser("parse", help="print the parsed model as JSON")
    common(p)
    p.set_defaults(func=_cmd_parse)

    p = sub.add_parser("explain", help="say what happened to the packet")
    common(p)
    p.add_argument("--json", action="store_true", help="print JSON for scripts")
    p.add_argument("--expect", choices=VERDICTS,
                   help="exit 1 unless every trace has this verdict")
    p.add_argument("--nb", metavar="DB", help="Northbound database: a saved nb.db file or "
                   "a live remote (unix:PATH, tcp:IP:PORT, ssl:IP:PORT, or a comma list)")
    p.add_argument("--sb", metavar="DB", help="Southbound database: a saved sb.db file, the "
                   "JSON of ovsdb-client dump, ovn-sbctl [--uuid] lflow-list text, or a live "
                   "remote (with --nb: name the dropping ACL and its Kubernetes owner)")
    p.add_argument("--dump-flows", metavar="FILE",
                   help="ovs-ofctl dump-flows br-int text: list the OpenFlow flows of the "
                   "logical flow that dropped (what ovn-trace --ovs shows, offline)")
    _remote_options(p)
    p.set_defaults(func=_cmd_explain)

    p = sub.add_parser("compare", help="two traces of one packet: same verdict, or why not")
    p.add_argument("first", metavar="FILE1", help="e.g. ovn-trace output")
    p.add_argument("second", metavar="FILE2", help="e.g. ofproto/trace or ovn-detrace output")
    p.add_argument("--json", action="store_true", help="print JSON for scripts")
    p.set_defaults(func=_cmd_compare)

    for name, summary in COMMANDS.items():
        try:
            module = importlib.import_module(f".commands.{name}", __package__)
        except ModuleNotFoundError as exc:
            if exc.name != f"{__package__}.commands.{name}":
                raise
            continue  # not written yet
        p = sub.add_parser(name, help=summary)
        module.add_arguments(p)
        p.set_defaults(func=module.run)
    return top


def _cmd_parse(args) -> int:
    out = sys.stdout
    out.write("[")
    for n, trace in enumerate(parse(args.file, args.format)):
        out.write(",\n" if n else "\n")
        json.dump(trace.to_dict(), out, indent=1)
    out.write("\n]\n")
    return 0


def _cmd_explain(args) -> int:
    index = _index(args.sb, args.nb, args) if args.sb else None
    if index is None:
        explanations = [explain(t) for t in parse(args.file, args.format)]
    else:
        from .enrich.detrace_notes import Resolver
        from .enrich.drops import resolve_drop
        from .enrich.openflow import annotate
        resolver = Resolver(index)
        explanations = [resolve_drop(explain(annotate(t, resolver)), index)
                        for t in parse(args.file, args.format)]
    if args.dump_flows:
        _add_openflow(explanations, args.dump_flows)
    if args.json:
        json.dump([e.to_dict() for e in explanations], sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(text_view.render(explanations))
    if args.expect and any(e.verdict != args.expect for e in explanations):
        return 1
    return 0


def _add_openflow(explanations, path: str) -> None:
    """Give each drop the OpenFlow flows its logical flow's cookie names."""
    from .db.dump_flows import DumpFlowsError, read_dump_flows
    try:
        flows = read_dump_flows(path)
    except (OSError, DumpFlowsError) as exc:
        raise InputError(Problem(path, 0, f"cannot read the OpenFlow flows: {exc}",
                                 "ovs-ofctl dump-flows output")) from None
    for ex in explanations:
        d = ex.drop
        if d is not None and d.lflow:
            d.extra["openflow_flows"] = [f.text.strip() for f in flows.get(d.lflow, [])]
            if not d.extra["openflow_flows"]:
                ex.warnings.append(f"no OpenFlow flow has cookie 0x{d.lflow}: the flows were "
                                   "dumped on another chassis, or before or after the trace")


def _remote_options(p: argparse.ArgumentParser) -> None:
    """Options of live database remotes (as OVN's tools spell them)."""
    g = p.add_argument_group("live databases (unix:, tcp:, ssl: remotes)")
    g.add_argument("--no-leader-only", dest="leader_only", action="store_false",
                   help="read any member of a clustered database, not only the leader")
    g.add_argument("--db-timeout", type=float, default=10.0, metavar="SECONDS",
                   help="give up on a server that does not answer (default 10)")
    g.add_argument("-p", "--private-key", metavar="FILE", help="SSL private key")
    g.add_argument("-c", "--certificate", metavar="FILE", help="SSL certificate for the key")
    g.add_argument("-C", "--ca-cert", metavar="FILE", help="SSL CA certificate")


def _index(sb: str, nb: str | None, args=None):
    """A DbIndex over saved database files or live remotes (read-only either way)."""
    from .db import DbIndex, is_remote, open_database
    from .db.ovsdb_file import OvsdbFileError
    sources = []
    for spec, name in ((sb, "OVN_Southbound"), (nb, "OVN_Northbound")):
        if spec is None:
            sources.append(None)
            continue
        try:
            if is_remote(spec) and not os.path.exists(spec):
                sources.append(open_database(
                    spec, database=name, leader_only=getattr(args, "leader_only", True),
                    timeout=getattr(args, "db_timeout", 10.0),
                    private_key=getattr(args, "private_key", None),
                    certificate=getattr(args, "certificate", None),
                    ca_cert=getattr(args, "ca_cert", None)))
            else:
                sources.append(_open_saved(spec))
        except (OSError, OvsdbFileError, ValueError) as exc:
            raise InputError(Problem(spec, 0, f"cannot read the database: {exc}",
                                     "an OVSDB database file or a reachable remote")) from None
    return DbIndex(sources[0], sources[1])


def _open_saved(path: str):
    """A saved database: an OVSDB file, a tool's JSON, or `ovn-sbctl lflow-list` text."""
    from .db import MemorySource, open_source
    from .db.lflow_list import read_lflow_list
    with open(path, "rb") as f:
        head = f.read(64)
    if head.startswith(b"Datapath: "):
        return MemorySource(read_lflow_list(path))
    return open_source(path)


def _cmd_compare(args) -> int:
    """Compares the first trace of each file; exit 1 when the verdicts differ."""
    firsts = []
    for path in (args.first, args.second):
        trace = next(iter(parse(path)), None)
        if trace is None:
            raise InputError(Problem(path, 0, "no trace", "one trace"))
        firsts.append(trace)
    result = compare(*firsts)
    if args.json:
        json.dump(result.to_dict(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(text_view.render_comparison(result))
    return 0 if result.same else 1


if __name__ == "__main__":
    sys.exit(main())
