"""`ovnparse trace`: what-if replay of a packet against a saved Southbound file.

Two ways to name the packet:

* a MICROFLOW (and DATAPATH), as ovn-trace takes them;
* Kubernetes names, as ovnkube-trace takes them (``--nb NB --src NS/POD
  (--dst NS/POD | --service NS/NAME | --dst-ip IP) (--tcp | --udp)``, its
  single-dash spellings too): the pods and Services are found in the saved
  Northbound (ovnparse.k8s), the microflows built as ovnkube-trace builds
  them, each run replayed (ovnparse.replay) and explained, both directions,
  with ovnkube-trace's verdict lines at the end.

The replay (ovnparse.replay.logical) runs the real ovn-trace against a private
ovsdb-server and stops what it started, by pid, also on errors, Ctrl-C and
SIGTERM.

Exit status (cli.main): 0 done; 1 a verdict did not match --expect; 2 the
datapath, the microflow, a name or the command line was wrong, or ovn-trace
failed; 3 a database file could not be read; 130/143 interrupted.
"""

from __future__ import annotations

import argparse
import json
import sys

from ..api import explain, open_databases, parse_text
from ..errors import InputError, Problem
from ..replay.logical import (
    DEFAULT_TIMEOUT,
    FORMS,
    LAST_RUN,
    Options,
    OvnTraceReplay,
    Packet,
    TraceError,
    check_db,
)
from ..views import text as text_view

__all__ = ["LAST_RUN", "TraceError", "add_arguments", "run"]

VERDICTS = ("delivered", "flooded", "dropped", "controller", "incomplete", "error")


def add_arguments(p) -> None:
    p.description = ("Run the real ovn-trace against a private ovsdb-server serving a "
                     "private copy of a saved Southbound file, then explain the result. "
                     "Name the packet with a MICROFLOW, or with Kubernetes names as "
                     "ovnkube-trace does (--nb --src ... --dst|--service|--dst-ip).")
    p.add_argument("datapath", nargs="?", metavar="DATAPATH",
                   help="logical datapath (optional when the microflow's inport names it)")
    p.add_argument("microflow", nargs="?", metavar="MICROFLOW",
                   help="the packet, in ovn-trace's microflow syntax (one argument: quote "
                        "it); not with --src")
    p.add_argument("--sb", required=True, metavar="FILE",
                   help="saved Southbound database file (standalone or clustered); "
                        "never written to")
    p.add_argument("--nb", metavar="FILE",
                   help="saved Northbound database file: name the dropping ACL and its "
                        "Kubernetes owner, as explain --nb --sb does; needed by --src")
    k8s = p.add_argument_group(
        "by Kubernetes names, as ovnkube-trace (its -single-dash spellings work too)")
    k8s.add_argument("--src", "-src", metavar="NS/POD",
                     help="source pod (NS/POD, or POD in --src-namespace; node/NAME: a "
                          "host-networked pod, through the node's k8s-NAME port)")
    k8s.add_argument("--src-namespace", "-src-namespace", default="default", metavar="NS",
                     help="namespace of --src without one (default: default)")
    k8s.add_argument("--dst", "-dst", metavar="NS/POD", help="destination pod")
    k8s.add_argument("--dst-namespace", "-dst-namespace", default="default", metavar="NS",
                     help="namespace of --dst/--service without one (default: default)")
    k8s.add_argument("--service", "-service", metavar="NS/NAME",
                     help="destination Service (its load balancers' k8s.ovn.org/owner)")
    k8s.add_argument("--dst-ip", "-dst-ip", metavar="IP", help="destination IP address")
    proto = k8s.add_mutually_exclusive_group()
    proto.add_argument("--tcp", "-tcp", dest="protocol", action="store_const", const="tcp")
    proto.add_argument("--udp", "-udp", dest="protocol", action="store_const", const="udp")
    k8s.add_argument("--dst-port", "-dst-port", type=int, default=80, metavar="N",
                     help="destination port (default 80, as ovnkube-trace)")
    k8s.add_argument("--src-port", "-src-port", type=int, metavar="N",
                     help="source port (default: ovnkube-trace's 52888)")
    k8s.add_argument("--addr-family", "-addr-family", choices=("ip4", "ip6"), default="ip4",
                     help="address family (default ip4)")
    k8s.add_argument("--ipv6", "-ipv6", dest="addr_family", action="store_const",
                     const="ip6", help="--addr-family ip6")
    k8s.add_argument("--skip-detrace", "-skip-detrace", action="store_true",
                     help=argparse.SUPPRESS)  # (no ovn-detrace run of its own to skip)
    of = p.add_argument_group(
        "the OpenFlow side from the source node's dumps (by names; replay/openflow.py)")
    of.add_argument("--flows", "--dump-flows", dest="flows", metavar="FILE",
                    help="ovs-ofctl [-O OpenFlow15] dump-flows br-int of the source's node")
    of.add_argument("--groups", metavar="FILE", help="ovs-ofctl -O OpenFlow15 dump-groups br-int")
    of.add_argument("--meters", metavar="FILE", help="ovs-ofctl -O OpenFlow15 dump-meters br-int")
    of.add_argument("--tlv", metavar="FILE", help="ovs-ofctl dump-tlv-map br-int")
    of.add_argument("--ovsdb", metavar="CONF_DB",
                    help="the node's saved conf.db (bridges, ports, ofports, iface-ids)")
    of.add_argument("--vsctl-show", metavar="FILE", help="ovs-vsctl show text (without --ovsdb)")
    of.add_argument("--ofctl-show", metavar="FILE", help="ovs-ofctl show br-int text (ofports)")
    of.add_argument("--dpif-show", metavar="FILE",
                    help="ovs-appctl dpif/show (or dpctl/show) text: datapath port numbers")
    of.add_argument("--bridge-flows", action="append", default=[], metavar="BRIDGE=FILE",
                    help="another bridge's dump-flows (e.g. breth0=FILE), repeatable")
    of.add_argument("--ovs-root", metavar="DIR",
                    help="a Debian root holding the OVS of the dumps' release (e.g. "
                         "/var/cache/ovnparse/trixie for OVS 3.5); default: the host's OVS")
    of.add_argument("--ovn-release", default="23.03", metavar="X.Y",
                    help="print the OpenFlow trace's notes as this OVN's ovn-detrace does")
    form = p.add_mutually_exclusive_group()
    for name in FORMS:
        form.add_argument(f"--{name}", dest="form", action="store_const", const=name,
                          help=f"ovn-trace --{name}" + (" (default)" if name == "detailed"
                                                          else ""))
    p.set_defaults(form="detailed")
    p.add_argument("--ct", action="append", default=[], metavar="FLAGS",
                   help="ovn-trace --ct: ct_state for the next ct_next, repeatable (one a "
                        "ct_next, in order; then trk|est); by names, for every run "
                        "(default: ovnkube-trace's, new toward a Service)")
    p.add_argument("--lb-dst", metavar="IP[:PORT]",
                   help="ovn-trace --lb-dst: backend to pick (by names: the Service's "
                        "endpoint to trace to; default the first pod endpoint)")
    p.add_argument("--select-id", metavar="ID", help="ovn-trace --select-id: bucket to pick")
    p.add_argument("--no-friendly-names", action="store_true",
                   help="ovn-trace --no-friendly-names")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print JSON, as explain --json does")
    out.add_argument("--raw", action="store_true",
                     help="print ovn-trace's own output, unchanged, before the explanation")
    p.add_argument("--expect", choices=VERDICTS,
                   help="exit 1 unless every trace has this verdict")
    p.add_argument("--ovn-trace", dest="ovn_trace", default="ovn-trace", metavar="PROGRAM",
                   help="the ovn-trace program to run (default: ovn-trace from PATH)")
    p.add_argument("--whole-db", action="store_true",
                   help="serve ovn-trace the whole database (slower at scale; the default "
                        "serves only the datapaths the trace runs in, with the same output)")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                   help=f"give up on ovn-trace after this long (default {DEFAULT_TIMEOUT:g})")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="say on stderr what is started and stopped (with pids)")


def run(args) -> int:
    if args.src is not None:
        return _run_names(args)
    if args.microflow is None and args.datapath is not None:
        args.datapath, args.microflow = None, args.datapath  # MICROFLOW alone
    if args.microflow is None:
        raise TraceError("give a MICROFLOW, or --src with --dst, --service or --dst-ip")
    for opt, shown in (("dst", "--dst"), ("service", "--service"), ("dst_ip", "--dst-ip"),
                       ("protocol", "--tcp/--udp")):
        if getattr(args, opt) is not None:
            raise TraceError(f"{shown} goes with --src, not a MICROFLOW")
    return _run_microflow(args)


def _options(args) -> Options:
    return Options(sb=args.sb, ovn_trace=args.ovn_trace, whole_db=args.whole_db,
                   timeout=args.timeout, verbose=args.verbose,
                   no_friendly_names=args.no_friendly_names)


# ---------------------------------------------------------------- a microflow
def _run_microflow(args) -> int:
    if args.nb:
        check_db(args.nb, "OVN_Northbound", "--nb")
    packet = Packet(args.datapath, args.microflow, args.form, tuple(args.ct), args.lb_dst,
                    args.select_id)
    with OvnTraceReplay(_options(args)) as replay:
        result = replay.run(packet)
    stdout = result.stdout

    source = f"ovn-trace on {args.sb}"
    db = open_databases(args.nb, args.sb) if args.nb else None
    try:
        explanations = [explain(t, db) for t in parse_text(stdout.decode("utf-8", "replace"),
                                                           source)]
    except InputError as exc:
        raise TraceError(f"cannot read ovn-trace's output: {exc.problem}") from None
    for ex in explanations:
        ex.warnings[:0] = [Problem(source, 0, w) for w in result.warnings]

    out = sys.stdout
    if args.json:
        json.dump([e.to_dict() for e in explanations], out, indent=2)
        out.write("\n")
    else:
        if args.raw:
            out.flush()
            out.buffer.write(stdout)
            out.buffer.flush()
            out.write("\n")
        out.write(text_view.render(explanations))
    out.flush()
    if args.expect and any(e.verdict != args.expect for e in explanations):
        return 1
    return 0


# ---------------------------------------------------------------- by names
def _run_names(args) -> int:
    from ..k8s import Cluster, Request, plan
    from ..replay.ovnkube import run_plan, summary
    if args.microflow is not None or args.datapath is not None:
        raise TraceError("--src names the packet: give no DATAPATH or MICROFLOW with it")
    if not args.nb:
        raise TraceError("--src needs --nb (the Northbound names the pods and Services)")
    if args.protocol is None:
        raise TraceError("either --tcp or --udp must be given (as ovnkube-trace)")
    for value, option in ((args.select_id, "--select-id"), (args.raw or None, "--raw")):
        if value is not None:
            raise TraceError(f"{option} goes with a MICROFLOW, not --src")
    check_db(args.nb, "OVN_Northbound", "--nb")
    cluster = Cluster.from_nb(args.nb)
    req = Request(src=args.src, dst=args.dst, service=args.service, dst_ip=args.dst_ip,
                  src_namespace=args.src_namespace, dst_namespace=args.dst_namespace,
                  protocol=args.protocol, dst_port=args.dst_port, src_port=args.src_port,
                  family=args.addr_family, ct=tuple(args.ct), lb_dst=args.lb_dst)
    the_plan = plan(cluster, req)
    db = open_databases(args.nb, args.sb)
    with OvnTraceReplay(_options(args)) as replay, _openflow_side(args) as side:
        results = run_plan(the_plan, replay, cluster, db, args.form, f"ovn-trace on {args.sb}",
                           side)
    total = summary(the_plan, results)

    out = sys.stdout
    if args.json:
        objs = [r.to_dict() for r in results]
        last = total.to_dict()
        last["tool"] = "ovnkube-trace"
        last["direction"] = None
        last["summary"] = [r.summary for r in results]
        objs.append(last)
        json.dump(objs, out, indent=2)
        out.write("\n")
    else:
        for r in results:
            leg = r.leg
            out.write(f"== {leg.printed}: {leg.src_name} -> {leg.dst_name} ==\n")
            if leg.tool == "ofproto/trace":
                out.write("  " + " ".join(r.argv[:3]) + f" '{r.argv[3]}'"
                          + "".join(f" {a}" for a in r.argv[4:]) + "\n")
            else:
                ct = "".join(f" --ct={c}" for c in leg.ct)
                lb = f" --lb-dst={leg.lb_dst}" if leg.lb_dst else ""
                out.write(f"  ovn-trace{ct}{lb} {leg.datapath} '{leg.microflow}'\n")
            out.write(text_view.render([r.explanation]))
            if leg.hopeless:
                out.write(f"  note:     {leg.hopeless}\n")
            out.write("\n")
        for n in the_plan.notes:
            out.write(f"note: {n}\n")
        for r in results:
            out.write(r.summary + "\n")
    out.flush()
    if args.expect and any(r.explanation.verdict != args.expect for r in results):
        return 1
    return 0


class _NoSide:
    def __enter__(self):
        return None

    def __exit__(self, *exc) -> None:
        return None


class _Side:
    """The replayed switch and the resolver of its notes, stopped on leaving."""

    def __init__(self, args):
        self.args = args
        self.switch = None

    def __enter__(self):
        from ..db import DbIndex
        from ..db.open import open_database_for
        from ..enrich.detrace_notes import Resolver
        from ..replay.openflow import Dumps, OpenFlowReplay
        from ..replay.ovnkube import OpenFlowSide
        a = self.args
        others = {}
        for item in a.bridge_flows:
            bridge, sep, path = item.partition("=")
            if not sep:
                raise TraceError(f"--bridge-flows {item}: BRIDGE=FILE")
            others[bridge] = path
        dumps = Dumps(flows=a.flows, groups=a.groups, meters=a.meters, tlv=a.tlv,
                      conf_db=a.ovsdb, vsctl_show=a.vsctl_show, ofctl_show=a.ofctl_show,
                      dpif_show=a.dpif_show, other_flows=others)
        if a.ovs_root is None:
            print("ovnparse: warning: the dumps' OVS release is not known: they are loaded "
                  "into the host's OVS (--ovs-root DIR for another release's)", file=sys.stderr)
        self.switch = OpenFlowReplay(dumps, root=a.ovs_root, verbose=a.verbose)
        try:
            self.switch.__enter__()
        finally:
            LAST_RUN.setdefault("pids", {}).update(
                {f"openflow-{k}": v for k, v in self.switch.pids.items()})
        try:
            resolver = Resolver(DbIndex(open_database_for(a.sb, "OVN_Southbound"),
                                        open_database_for(a.nb, "OVN_Northbound")), None)
        except BaseException:
            self.switch.close()
            raise
        return OpenFlowSide(self.switch, resolver, a.ovn_release)

    def __exit__(self, *exc) -> None:
        if self.switch is not None:
            self.switch.close()


def _openflow_side(args):
    return _Side(args) if args.flows else _NoSide()
