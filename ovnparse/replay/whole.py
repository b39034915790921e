"""`explain --replay`: a --minimal or --summary trace made whole by replaying its
packet with ovn-trace --detailed against the saved Southbound.

The short forms print no stage, table, priority or logical flow, and --minimal
no datapath: the drop point, its ACL and owner are not in the text.  The packet
is: the trace's first line (``# <flow>``, ovn-trace's own rendering of the
microflow it was given) holds the in-port's tunnel key (``reg14``) and every
header field the microflow set.  The port is the Port_Binding with that tunnel
key (its datapath is where ovn-trace starts; several datapaths have a port with
the same key: the one whose MAC is the packet's ``dl_src``, or the one the
summary form names, or the one in the datapath where the packet's ``dl_dst``
is a port's MAC); the fields become an OVN microflow again (``dl_src`` ->
``eth.src``, ``nw_src`` -> ``ip4.src``, ``tp_dst`` -> ``tcp.dst``, ...; zero
defaults the flow prints for every packet are left out).

ovn-trace's ``--ct`` and ``--lb-dst`` change the trace but are not printed:
they come from the command saved before the trace (formats/paste.py), else
from explain's own ``--ct``/``--lb-dst``.  A trace whose ct actions say they
were given (``ct_next`` without ``/* default (use --ct to customize) */``)
while neither gives them is not replayed (a warning says why): a guess would
be a silently different packet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..analysis import Explanation
from ..errors import Problem
from .logical import Options, OvnTraceReplay, Packet, TraceError

SHORT_FORMS = ("ovn-trace/summary", "ovn-trace/minimal")
_DEFAULT_CT = "/* default (use --ct to customize) */"
_CT_ACTION = re.compile(r"^\s*(ct_next|ct_lb_mark|ct_lb)\b(?:\(.*\))?\s*(/\*.*\*/)?\s*\{",
                        re.M)

# flow field -> OVN field (ovs-fields(7) -> ovn-sb(5) "Logical_Flow" match fields)
_FIELDS = {
    "dl_src": "eth.src", "dl_dst": "eth.dst",
    "nw_src": "ip4.src", "nw_dst": "ip4.dst",
    "ipv6_src": "ip6.src", "ipv6_dst": "ip6.dst", "ipv6_label": "ip6.label",
    "nw_ttl": "ip.ttl",
    "arp_spa": "arp.spa", "arp_tpa": "arp.tpa", "arp_sha": "arp.sha", "arp_tha": "arp.tha",
    "arp_op": "arp.op",
    "nd_target": "nd.target", "nd_sll": "nd.sll", "nd_tll": "nd.tll",
}
# the leading protocol keyword -> OVN's
_PROTOCOLS = {
    "tcp": "ip4 && tcp", "udp": "ip4 && udp", "sctp": "ip4 && sctp", "icmp": "icmp4",
    "tcp6": "ip6 && tcp", "udp6": "ip6 && udp", "sctp6": "ip6 && sctp", "icmp6": "icmp6",
    "ip": "ip4", "ipv6": "ip6", "arp": "arp",
}
# fields whose zero the flow prints whatever the microflow said
_ZERO_DEFAULTS = {"vlan_tci": "0x0000", "nw_tos": "0", "nw_ecn": "0", "tcp_flags": "0",
                  "ipv6_label": "0x00000", "arp_tha": "00:00:00:00:00:00",
                  "nd_target": "::", "nd_sll": "00:00:00:00:00:00",
                  "nd_tll": "00:00:00:00:00:00"}


class NotReplayable(Exception):
    """Why a trace cannot be replayed: a warning, not an error."""


@dataclass
class Port:
    name: str
    datapath: str  # the datapath's name, as ovn-trace takes it
    tunnel_key: int
    macs: list[str]


def read_ports(sb_path: str) -> list[Port]:
    from ..db.ovsdb_file import read_ovsdb_file
    db = read_ovsdb_file(sb_path, {"Port_Binding": ["logical_port", "datapath", "tunnel_key",
                                                    "mac", "port_security"],
                                   "Datapath_Binding": ["external_ids", "tunnel_key"]})
    dps: dict[str, str] = {}
    for uuid, row in db.tables.get("Datapath_Binding", {}).items():
        ids = row.get("external_ids", {})
        dps[uuid] = ids.get("name") or ids.get("name2") or uuid
    ports = []
    for pb in db.tables.get("Port_Binding", {}).values():
        dp = pb.get("datapath")
        dp_uuid = str(dp[0] if isinstance(dp, list) and dp else dp)
        macs = [a.split()[0].lower() for a in list(pb.get("mac", [])) +
                list(pb.get("port_security", [])) if a.split()]
        ports.append(Port(pb["logical_port"], dps.get(dp_uuid, dp_uuid),
                          int(pb.get("tunnel_key", 0)), macs))
    return ports


def parse_flow(flow: str) -> tuple[str | None, dict[str, str]]:
    """``tcp,reg14=0x5,dl_src=...`` -> ("tcp", {"reg14": "0x5", ...})."""
    proto = None
    fields: dict[str, str] = {}
    for n, item in enumerate(x.strip() for x in flow.split(",")):
        if not item:
            continue
        if "=" not in item:
            if n == 0:
                proto = item
                continue
            raise NotReplayable(f"cannot read {item!r} in the trace's flow")
        k, v = item.split("=", 1)
        fields[k] = v
    return proto, fields


def microflow_of(flow: str, inport: str) -> str:
    """The OVN microflow that makes ovn-trace print *flow* again."""
    proto, fields = parse_flow(flow)
    parts = [f'inport == "{inport}"']
    if proto is not None:
        if proto not in _PROTOCOLS:
            raise NotReplayable(f"protocol {proto!r} of the trace's flow is not known here")
        parts.append(_PROTOCOLS[proto])
    l4 = {"tcp": "tcp", "tcp6": "tcp", "udp": "udp", "udp6": "udp", "sctp": "sctp",
          "sctp6": "sctp"}.get(proto or "")
    icmp = {"icmp": "icmp4", "icmp6": "icmp6"}.get(proto or "")
    for k, v in fields.items():
        if k in ("reg14", "nw_frag", "dl_type", "nw_proto") or _ZERO_DEFAULTS.get(k) == v:
            continue
        if k in _FIELDS:
            parts.append(f"{_FIELDS[k]} == {v}")
        elif k in ("tp_src", "tp_dst") and l4:
            parts.append(f"{l4}.{k[3:]} == {v}")
        elif k in ("icmp_type", "icmp_code") and icmp:
            parts.append(f"{icmp}.{k[5:]} == {v}")
        elif k == "tcp_flags":
            parts.append(f"tcp.flags == {v}")
        elif k == "nw_tos":
            parts.append(f"ip.dscp == {int(v, 0) >> 2}")
        elif k == "nw_ecn":
            parts.append(f"ip.ecn == {v}")
        elif k == "vlan_tci":
            parts.append(f"vlan.tci == {v}")
        else:
            raise NotReplayable(f"field {k}={v} of the trace's flow has no microflow "
                                "spelling here")
    return " && ".join(parts)


def find_port(ports: list[Port], flow: str, datapath: str | None,
              inport: str | None) -> Port:
    _, fields = parse_flow(flow)
    if "reg14" not in fields:
        raise NotReplayable("the trace's flow names no in-port (reg14)")
    key = int(fields["reg14"], 0)
    cands = [p for p in ports if p.tunnel_key == key]
    if inport is not None:
        cands = [p for p in cands if p.name == inport] or cands
    if datapath is not None:
        cands = [p for p in cands if p.datapath == datapath] or cands
    if len(cands) > 1 and "dl_src" in fields:
        mac = fields["dl_src"].lower()
        cands = [p for p in cands if mac in p.macs] or cands
    if len(cands) > 1 and "dl_dst" in fields:
        # the switch or router where the destination MAC is a port's
        mac = fields["dl_dst"].lower()
        dps = {p.datapath for p in ports if mac in p.macs}
        cands = [p for p in cands if p.datapath in dps] or cands
    if not cands:
        raise NotReplayable(f"no port has tunnel key {key} in the Southbound")
    if len(cands) > 1:
        names = ", ".join(f"{p.name} ({p.datapath})" for p in cands[:6])
        raise NotReplayable(f"in-port tunnel key {key} is ambiguous: {names}")
    return cands[0]


def ct_needed(trace_text_lines: list[str]) -> int:
    """How many ct actions of the trace were given by --ct (printed without the
    default comment)."""
    n = 0
    for line in trace_text_lines:
        m = _CT_ACTION.match(line)
        if m and _DEFAULT_CT not in line:
            n += 1
    return n


def options_from_command(ex: Explanation) -> tuple[list[str], str | None] | None:
    cmd = ex.command
    if cmd is None or cmd.tool != "ovn-trace":
        return None
    ct = [o.split("=", 1)[1] for o in cmd.options if o.startswith("--ct=")]
    lb = next((o.split("=", 1)[1] for o in cmd.options if o.startswith("--lb-dst=")), None)
    return ct, lb


def make_whole(explanations: list[Explanation], texts: list[list[str] | None], sb: str,
               db, *, ct: list[str], lb_dst: str | None, ovn_trace: str = "ovn-trace",
               timeout: float = 60.0, verbose: bool = False) -> list[dict | None]:
    """Replay every short-form explanation; fill in its drop point, datapaths and
    drop's ACL/owner from the detailed replay.  Returns, per explanation, what the
    replay found (for JSON: ``None`` where nothing was replayed)."""
    from ..api import explain, parse_text
    todo = [i for i, ex in enumerate(explanations) if ex.format in SHORT_FORMS]
    out: list[dict | None] = [None] * len(explanations)
    if not todo:
        return out
    try:
        ports = read_ports(sb)
    except Exception as exc:  # (a file the Southbound reader refuses)
        for i in todo:
            _warn(explanations[i], f"not replayed: cannot read {sb}: {exc}")
        return out
    with OvnTraceReplay(Options(sb=sb, ovn_trace=ovn_trace, timeout=timeout,
                                verbose=verbose)) as replay:
        for i in todo:
            ex = explanations[i]
            try:
                packet = _packet(ex, texts[i], ports, ct, lb_dst)
            except NotReplayable as why:
                _warn(ex, f"not replayed with --detailed: {why}")
                continue
            try:
                res = replay.run(packet)
            except TraceError as exc:  # (its daemons are stopped: the next trace may work)
                _warn(ex, f"not replayed: {exc}")
                continue
            traces = parse_text(res.stdout.decode("utf-8", "replace"),
                                f"ovn-trace --detailed on {sb}")
            if not traces:
                _warn(ex, "not replayed: ovn-trace printed no trace")
                continue
            whole = explain(traces[0], db)
            out[i] = _fill(ex, whole, packet, res.argv)
    return out


def _packet(ex: Explanation, lines: list[str] | None, ports: list[Port], ct: list[str],
            lb_dst: str | None) -> Packet:
    if not ex.microflow:
        raise NotReplayable("the trace has no '# <flow>' line")
    saved = options_from_command(ex)
    if saved is not None:
        ct, lb_dst = saved[0] or ct, saved[1] or lb_dst
    given = ct_needed(lines or [])
    if given > len(ct):
        raise NotReplayable(f"{given} of its ct actions were given with --ct, which the "
                            "trace does not print (give them to explain with --ct FLAGS, "
                            "once each, or keep the ovn-trace command before the trace)")
    first_dp = ex.datapaths[0] if ex.datapaths else None
    inport = None
    if ex.format == "ovn-trace/summary" and lines:
        m = re.search(r'ingress\(dp="([^"]+)", inport="([^"]+)"\)', "\n".join(lines[:4]))
        if m:
            first_dp, inport = m.group(1), m.group(2)
    port = find_port(ports, ex.microflow, first_dp, inport)
    return Packet(port.datapath, microflow_of(ex.microflow, port.name), "detailed",
                  tuple(ct), lb_dst)


def _fill(ex: Explanation, whole: Explanation, packet: Packet, argv: list[str]) -> dict:
    info = {"argv": argv, "microflow": packet.microflow, "verdict": str(whole.verdict),
            "same_flow": whole.microflow == ex.microflow}
    if not info["same_flow"]:
        _warn(ex, f"the replayed packet is not the trace's: ovn-trace printed "
                  f"{whole.microflow!r}")
    if whole.verdict != ex.verdict:
        _warn(ex, f"replayed with --detailed, the verdict is {whole.verdict}, not "
                  f"{ex.verdict}: the Southbound is not the one the trace was made on, or "
                  "the packet differs")
        return info
    ex.drop = whole.drop
    if ex.datapaths is None:
        ex.datapaths = whole.datapaths
    if not ex.transforms:
        ex.transforms = whole.transforms
    return info


def _warn(ex: Explanation, message: str) -> None:
    ex.warnings.append(Problem(ex.source, 0, message))


def mark(obj: dict, info: dict | None) -> dict:
    """The JSON object of a replayed explanation: ``replayed`` on it and its drop."""
    obj["replayed"] = info is not None
    if info is not None:
        obj["replay"] = info
        if obj.get("drop") is not None:
            obj["drop"]["replayed"] = True
    return obj


__all__ = ["NotReplayable", "SHORT_FORMS", "TraceError", "make_whole", "mark",
           "microflow_of"]
