"""The ovn-trace runs ovnkube-trace makes for a source and a destination.

Read in ovn-kubernetes' go-controller/cmd/ovnkube-trace/ovnkube-trace.go (2024):

* every microflow is ``inport=="<ns>_<pod>" && eth.src==<pod mac> &&
  eth.dst==<mac of rtos-<src node>> && ip4.src==<ip> && ip4.dst==<ip> &&
  ip.ttl==64 && tcp.dst==<port> && tcp.src==52888`` (``ip6`` with
  -addr-family ip6), run in the source's node switch; the router's MAC as
  ``eth.dst`` for a destination on the same node too (runOvnTraceToPod);
* to a pod: source -> destination, then destination -> source with the same
  ``-dst-port`` (its ``tcp.src`` 52888 again), the default ct state of
  ovn-trace (trk|est); success is ``output to "<dst ns>_<dst pod>"``;
* to a Service: source -> ClusterIP:-dst-port with ``--ct=new`` and
  ``--lb-dst <first endpoint pod IP>:<its port>`` ("source pod to service
  clusterIP", success: output to the endpoint's port), then both pod ->
  pod runs to that endpoint as above;
* to an IP (-dst-ip): one run ("from pod to IP"), success when the packet
  leaves by a localnet port, the node's ``k8s-<node>`` port or a remote port;
* a host-networked pod is traced from/to its node's ``k8s-<node>`` port.

Unlike ovnkube-trace, ``udp`` works with a Service (DNS), ``--ct`` replaces
the ct states of every run, ``--lb-dst`` picks the endpoint, and a Service
without endpoints is traced one way (ovnkube-trace stops: "could not extract
pod and port information from endpoints").
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from .cluster import Cluster, Endpoint, ResolveError, _family, _ip_port

OVN_TRACE_SRC_PORT = 52888  # ovnkube-trace's tcp/udp.src for ovn-trace
OFPROTO_SRC_PORT = 12345  # ... and for ofproto/trace
DEFAULT_DST_PORT = 80

FORWARD = "source pod to destination pod"
REVERSE = "destination pod to source pod"
TO_SERVICE = "source pod to service clusterIP"
TO_IP = "pod to IP"


@dataclass(frozen=True)
class Request:
    src: str  # NS/POD, POD (in src_namespace) or node/NAME
    dst: str | None = None
    service: str | None = None
    dst_ip: str | None = None
    src_namespace: str = "default"
    dst_namespace: str = "default"
    protocol: str = "tcp"
    dst_port: int = DEFAULT_DST_PORT
    src_port: int | None = None
    family: str = "ip4"
    ct: tuple[str, ...] = ()
    lb_dst: str | None = None


@dataclass
class Leg:
    """One ovn-trace run and how ovnkube-trace judges it."""

    direction: str  # ovnkube-trace's words (explain's checks[].direction)
    printed: str  # what ovnkube-trace prints before "indicates ..."
    src_name: str  # as ovnkube-trace prints them: pod names, the service's, the IP
    dst_name: str
    datapath: str
    microflow: str
    ct: tuple[str, ...] = ()
    lb_dst: str | None = None
    #: success: the packet is output to one of these ports ...
    success_ports: list[str] = field(default_factory=list)
    #: ... or to a port of one of these types
    success_types: list[str] = field(default_factory=list)
    #: ovnkube-trace's search string, for people
    search: str = ""
    #: why success cannot be reached whatever the trace says (a Service without endpoints)
    hopeless: str | None = None
    tool: str = "ovn-trace"
    #: for the OpenFlow side (runOfprotoTraceToPod / ToIP): the ends and the address
    src: Endpoint | None = None
    dst: Endpoint | None = None
    dst_ip: str | None = None
    openflow: bool = False  # ovnkube-trace runs ofproto/trace for it

    def ofproto_flow(self, req: Request, in_port: str, rtos_mac: str) -> str:
        """ovnkube-trace's ofproto/trace flow (its spacing too)."""
        assert self.src is not None and self.dst_ip is not None
        v6 = _family(self.dst_ip) == "ip6"
        selector = req.protocol + ("6" if v6 else "")
        nw_src, nw_dst = ("ipv6_src", "ipv6_dst") if v6 else ("nw_src", "nw_dst")
        sport = req.src_port if req.src_port is not None else OFPROTO_SRC_PORT
        return (f"in_port={in_port}, {selector}, dl_src={self.src.mac}, dl_dst={rtos_mac}, "
                f"{nw_src}={_need_ip(self.src, req.family)}, {nw_dst}={self.dst_ip}, "
                f"nw_ttl=64, {req.protocol}_dst={req.dst_port}, {req.protocol}_src={sport}")


@dataclass
class Plan:
    request: Request
    src: Endpoint
    dst: Endpoint | None
    legs: list[Leg]
    notes: list[str] = field(default_factory=list)


def plan(cluster: Cluster, req: Request) -> Plan:
    if sum(x is not None for x in (req.dst, req.service, req.dst_ip)) != 1:
        raise ResolveError("exactly one of --dst, --service or --dst-ip must be given")
    if req.protocol not in ("tcp", "udp"):
        raise ResolveError(f"protocol {req.protocol}: tcp or udp")
    if req.family not in ("ip4", "ip6"):
        raise ResolveError(f"address family {req.family}: ip4 or ip6")
    src = cluster.pod(req.src, req.src_namespace)
    sport = req.src_port if req.src_port is not None else OVN_TRACE_SRC_PORT
    ct = tuple(req.ct)

    def flow(a: Endpoint, dst_ip: str) -> str:
        ip = _need_ip(a, req.family)
        fam = "ip6" if _family(dst_ip) == "ip6" else "ip4"
        if fam != req.family:
            raise ResolveError(f"{a.qualified}'s address family ({req.family}) and the "
                               f"destination {dst_ip} do not match (--addr-family)")
        return (f'inport=="{a.lsp}" && eth.src=={a.mac} && eth.dst=={cluster.router_mac(a.node)}'
                f" && {req.family}.src=={ip} && {fam}.dst=={dst_ip} && ip.ttl==64"
                f" && {req.protocol}.dst=={req.dst_port} && {req.protocol}.src=={sport}")

    def pod_leg(direction: str, a: Endpoint, b: Endpoint) -> Leg:
        if b.host_network:
            # OVN takes it as far as a's node: out of k8s-<node>, or the gateway's
            # localnet port (routing via OVN)
            ports, types = [f"k8s-{a.node}"], ["localnet"]
            search = f'output to "k8s-{a.node}"'
        else:
            ports, types = [b.lsp], []
            search = f'output to "{b.lsp}"'
        return Leg(direction, f"ovn-trace {direction}", a.name, b.name, a.node,
                   flow(a, _need_ip(b, req.family)), ct, None, ports, types, search,
                   src=a, dst=b, dst_ip=_need_ip(b, req.family), openflow=True)

    if req.dst_ip is not None:
        try:
            dst_ip = str(ipaddress.ip_address(req.dst_ip))
        except ValueError:
            raise ResolveError(f"cannot parse IP address {req.dst_ip!r} (--dst-ip)") from None
        if src.host_network:
            raise ResolveError("the source cannot be on the host network when tracing to "
                               "an IP address (as ovnkube-trace: use ping)")
        leg = Leg(TO_IP, "ovn-trace from pod to IP", src.name, dst_ip, src.node,
                  flow(src, dst_ip), ct, None, [f"k8s-{src.node}"], ["localnet", "remote"],
                  f'output to "(.*)_(.*)", type "localnet"|output to "k8s-{src.node}"|remote',
                  src=src, dst_ip=dst_ip, openflow=True)
        return Plan(req, src, None, [leg])

    notes: list[str] = []
    legs: list[Leg] = []
    if req.service is not None:
        svc = cluster.service(req.service, req.dst_namespace)
        key = _vip(svc, req)
        backends = svc.vips[key]
        vip = key[1]
        endpoint, lb_dst = _endpoint(cluster, svc, backends, req)
        svc_ct = ct or ("new",)
        if endpoint is None:
            why = (f"service {svc.qualified} has no endpoints: its load balancer "
                   f"({', '.join(svc.load_balancers)}) has no backend for "
                   f"{_show(vip, key[2])}/{req.protocol}")
            if backends:
                why = (f"service {svc.qualified} has no pod endpoint: its backends "
                       f"({', '.join(_show(*b) for b in backends)}) are not pods' addresses"
                       " (host-networked endpoints, as ovnkube-trace skips them)")
            notes.append(why + "; traced from the source to the ClusterIP only, not back")
            legs.append(Leg(TO_SERVICE, f"ovn-trace {TO_SERVICE}", src.name, svc.name,
                            src.node, flow(src, vip), svc_ct, None, [], [], "",
                            hopeless=why))
            return Plan(req, src, None, legs, notes)
        legs.append(Leg(TO_SERVICE, f"ovn-trace {TO_SERVICE}", src.name, svc.name, src.node,
                        flow(src, vip), svc_ct, lb_dst, [endpoint.lsp], [],
                        f'output to "{endpoint.lsp}"'))
        notes.append(f"service {svc.qualified} {_show(vip, key[2])}/{req.protocol}: "
                     f"endpoint {endpoint.qualified} ({lb_dst})")
        if not ct:
            notes.append("ovnkube-trace gives ovn-trace --ct=new once: only the first "
                         "ct_next sees a new connection, the later ones ovn-trace's default "
                         "trk|est (--ct new, once per ct_next, makes it new throughout)")
        dst = endpoint
    else:
        assert req.dst is not None
        dst = cluster.pod(req.dst, req.dst_namespace)
    if src.host_network and dst.host_network:
        raise ResolveError("both ends cannot be on the host network (as ovnkube-trace: "
                           "use ping)")
    legs.append(pod_leg(FORWARD, src, dst))
    legs.append(pod_leg(REVERSE, dst, src))
    return Plan(req, src, dst, legs, notes)


def _need_ip(e: Endpoint, family: str) -> str:
    ip = e.ip(family)
    if ip is None:
        raise ResolveError(f"{e.qualified} ({e.lsp}) has no {family} address "
                           f"(it has {', '.join(e.ips) or 'none'}; --addr-family)")
    return ip


def _vip(svc, req: Request) -> tuple[str, str, int]:
    mine = [k for k in svc.vips if k[0] == req.protocol and _family(k[1]) == req.family]
    if not mine:
        have = sorted({f"{k[0]}/{_family(k[1])}" for k in svc.vips})
        raise ResolveError(f"service {svc.qualified} has no {req.protocol} {req.family} "
                           f"ClusterIP (it has {', '.join(have) or 'none'}; --tcp/--udp, "
                           "--addr-family)")
    on_port = [k for k in mine if k[2] == req.dst_port]
    if not on_port:
        ports = sorted({k[2] for k in mine})
        raise ResolveError(f"service {svc.qualified} has no {req.protocol} port "
                           f"{req.dst_port} (it has {', '.join(map(str, ports))}; "
                           "--dst-port)")
    return on_port[0]


def _endpoint(cluster: Cluster, svc, backends: list[tuple[str, int]], req: Request
              ) -> tuple[Endpoint | None, str | None]:
    """ovnkube-trace's endpoint: the first backend that is a pod (--lb-dst picks one)."""
    if req.lb_dst is not None:
        parsed = _ip_port(req.lb_dst) or (_ip_port(f"{req.lb_dst}:0")
                                          if ":" not in req.lb_dst else None)
        if parsed is None:
            parsed = _ip_port(f"[{req.lb_dst}]:0")
        if parsed is None:
            raise ResolveError(f"--lb-dst {req.lb_dst}: IP[:PORT]")
        ip, port = parsed
        match = [b for b in backends if b[0] == ip and (port == 0 or b[1] == port)]
        if not match:
            raise ResolveError(f"--lb-dst {req.lb_dst} is not a backend of service "
                               f"{svc.qualified} (it has "
                               f"{', '.join(_show(*b) for b in backends) or 'none'})")
        pod = cluster.pod_by_ip(ip)
        if pod is None:
            raise ResolveError(f"--lb-dst {req.lb_dst}: no pod has address {ip}")
        return pod, _show(*match[0])
    for ip, port in backends:
        pod = cluster.pod_by_ip(ip)
        if pod is not None:
            return pod, _show(ip, port)
    return None, None


def _show(ip: str, port: int) -> str:
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"
