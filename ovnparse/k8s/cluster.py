"""Kubernetes names read from a saved Northbound, as ovn-kubernetes writes them.

What ovnkube-trace asks the API server and the node's databases for, found in
the Northbound alone (ovn-kubernetes' conventions, go-controller/pkg/ovn):

* a pod is a Logical_Switch_Port named ``<namespace>_<pod>`` with
  ``external_ids:namespace`` = its namespace and ``external_ids:pod`` =
  ``true``; ``addresses`` hold ``"<mac> <ip> [<ip>...]"``; its node is the
  Logical_Switch holding the port (named after the node;
  ``options:requested-chassis`` names the node's chassis too);
* a node's first-hop router port is ``rtos-<node>`` (its ``mac`` is the
  ``eth.dst`` ovnkube-trace puts in every microflow: getRouterPortMacAddress);
  its management port ``k8s-<node>``;
* a Service is one Load_Balancer per protocol (and per node for NodePorts)
  with ``external_ids:k8s.ovn.org/owner`` = ``<namespace>/<name>`` and
  ``k8s.ovn.org/kind`` = ``Service``; ``vips`` map ``"<ip>:<port>"`` (IPv6
  ``"[<ip>]:<port>"``) to ``"<backend>:<port>,..."``, empty without endpoints.

Host-networked pods have no port of their own in the Northbound: ovnkube-trace
traces them from the node's ``k8s-<node>`` port, which ``node/<NAME>`` names here.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
from dataclasses import dataclass, field

from ..errors import OvnparseError

OWNER_KEY = "k8s.ovn.org/owner"
KIND_KEY = "k8s.ovn.org/kind"
TABLES = {
    "Logical_Switch": ["name", "ports"],
    "Logical_Switch_Port": ["name", "external_ids", "addresses", "options", "type"],
    "Logical_Router_Port": ["name", "mac", "networks"],
    "Load_Balancer": ["name", "external_ids", "vips", "protocol"],
}


class ResolveError(OvnparseError):
    """A name the Northbound does not hold, or holds twice: one line, with the close
    matches."""

    exit_status = 2


@dataclass
class Endpoint:
    """Something a packet starts from or goes to: a pod, or a node's management
    port standing in for a host-networked pod."""

    namespace: str | None
    name: str
    lsp: str  # the logical switch port (ovn-trace's inport)
    node: str  # its logical switch (ovn-trace's datapath), named after the node
    mac: str
    ips: list[str]
    host_network: bool = False

    @property
    def qualified(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else f"node/{self.node}"

    def ip(self, family: str) -> str | None:
        for ip in self.ips:
            if _family(ip) == family:
                return ip
        return None


@dataclass
class Service:
    namespace: str
    name: str
    load_balancers: list[str]
    #: (protocol, vip ip, vip port) -> [(backend ip, backend port)], in the LB's order
    vips: dict[tuple[str, str, int], list[tuple[str, int]]] = field(default_factory=dict)

    @property
    def qualified(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass
class Cluster:
    """Pods, services and nodes of one saved Northbound."""

    path: str
    pods: dict[str, Endpoint]  # "ns/name" -> pod
    nodes: dict[str, Endpoint]  # node -> its management port (k8s-<node>)
    router_macs: dict[str, str]  # node -> mac of rtos-<node>
    services: dict[str, Service]  # "ns/name" -> service
    port_types: dict[str, str]  # logical switch port -> its type ("" for a VIF)

    @classmethod
    def from_nb(cls, path: str | os.PathLike) -> Cluster:
        from ..db import OvsdbFileError
        from ..db.ovsdb_file import read_ovsdb_file
        try:
            db = read_ovsdb_file(path, TABLES)
        except (OSError, OvsdbFileError, ValueError) as exc:
            raise ResolveError(f"cannot read {path}: {exc}") from None
        if db.name != "OVN_Northbound":
            raise ResolveError(f"{path} holds the {db.name} database, not OVN_Northbound "
                             "(--nb)")
        lsps = db.tables.get("Logical_Switch_Port", {})
        switch_of: dict[str, str] = {}
        for ls in db.tables.get("Logical_Switch", {}).values():
            for uuid in ls.get("ports", []):
                switch_of[uuid] = ls["name"]
        pods: dict[str, Endpoint] = {}
        nodes: dict[str, Endpoint] = {}
        port_types: dict[str, str] = {}
        for uuid, p in lsps.items():
            name = p["name"]
            port_types[name] = p.get("type", "")
            ids = p.get("external_ids", {})
            node = switch_of.get(uuid)
            mac, ips = _address(p.get("addresses", []))
            if node is None or mac is None:
                continue
            ns = ids.get("namespace")
            if ids.get("pod") == "true" and ns and name.startswith(ns + "_"):
                pod = name[len(ns) + 1:]
                pods[f"{ns}/{pod}"] = Endpoint(ns, pod, name, node, mac, ips)
            elif name == f"k8s-{node}":
                nodes[node] = Endpoint(None, node, name, node, mac, ips, host_network=True)
        router_macs = {}
        for lrp in db.tables.get("Logical_Router_Port", {}).values():
            if lrp["name"].startswith("rtos-"):
                router_macs[lrp["name"][len("rtos-"):]] = lrp["mac"]
        services: dict[str, Service] = {}
        for lb in sorted(db.tables.get("Load_Balancer", {}).values(), key=lambda r: r["name"]):
            ids = lb.get("external_ids", {})
            owner = ids.get(OWNER_KEY)
            if not owner or ids.get(KIND_KEY, "Service") != "Service" or "/" not in owner:
                continue
            ns, svc_name = owner.split("/", 1)
            svc = services.setdefault(owner, Service(ns, svc_name, []))
            svc.load_balancers.append(lb["name"])
            proto = (lb.get("protocol") or ["tcp"])
            proto_name = proto[0] if isinstance(proto, list) and proto else (proto or "tcp")
            for vip, backends in lb.get("vips", {}).items():
                parsed = _ip_port(vip)
                if parsed is None:
                    continue
                key = (str(proto_name), parsed[0], parsed[1])
                bs = [b for b in (_ip_port(x) for x in backends.split(",") if x.strip()) if b]
                svc.vips.setdefault(key, []).extend(bs)
        return cls(str(path), pods, nodes, router_macs, services, port_types)

    # ------------------------------------------------------------------ lookups
    def pod(self, spec: str, default_namespace: str = "default") -> Endpoint:
        """A pod by ``NS/NAME`` (or ``NAME`` in *default_namespace*), or a node's
        management port by ``node/NAME``."""
        if spec.startswith("node/") and spec[5:] in self.nodes:
            return self.nodes[spec[5:]]
        key = spec if "/" in spec else f"{default_namespace}/{spec}"
        if key in self.pods:
            return self.pods[key]
        raise ResolveError(f"no pod {key} in {self.path}" + _close(key, self.pods, "pods")
                         + ("" if not spec.startswith("node/") else
                            _close(spec, [f"node/{n}" for n in self.nodes], "nodes")))

    def service(self, spec: str, default_namespace: str = "default") -> Service:
        key = spec if "/" in spec else f"{default_namespace}/{spec}"
        if key in self.services:
            return self.services[key]
        raise ResolveError(f"no service {key} in {self.path} (no Load_Balancer with "
                         f"external_ids:{OWNER_KEY}={key})"
                         + _close(key, self.services, "services"))

    def pod_by_ip(self, ip: str) -> Endpoint | None:
        want = _norm_ip(ip)
        for pod in self.pods.values():
            if want in (_norm_ip(x) for x in pod.ips):
                return pod
        return None

    def router_mac(self, node: str) -> str:
        if node not in self.router_macs:
            raise ResolveError(f"node {node} has no router port rtos-{node} in {self.path}"
                             " (the pod's first hop: ovnkube-trace's eth.dst)")
        return self.router_macs[node]


def _close(key: str, names, what: str) -> str:
    names = sorted(names)
    ns, _, name = key.partition("/")
    # the same name in another namespace first, then names spelt alike
    close = [n for n in names if n.split("/", 1)[-1] == name]
    close += [n for n in difflib.get_close_matches(key, names, n=5, cutoff=0.6)
              if n not in close]
    if not close:
        close = [n for n in names if n.split("/", 1)[0] == ns]
    if not close:
        return f" (it has {len(names)} {what})" if names else f" (it has no {what})"
    return "; close matches: " + ", ".join(close[:5])


def _address(addresses: list[str]) -> tuple[str | None, list[str]]:
    for a in addresses:
        parts = a.split()
        if len(parts) >= 2 and parts[0].count(":") == 5:
            return parts[0], parts[1:]
    return None, []


def _ip_port(text: str) -> tuple[str, int] | None:
    text = text.strip()
    try:
        if text.startswith("["):
            ip, _, port = text[1:].partition("]:")
        else:
            ip, _, port = text.rpartition(":")
        return str(ipaddress.ip_address(ip)), int(port)
    except ValueError:
        return None


def _family(ip: str) -> str:
    return "ip6" if ":" in ip else "ip4"


def _norm_ip(ip: str) -> str:
    try:
        return str(ipaddress.ip_address(ip.split("/")[0]))
    except ValueError:
        return ip
