"""Build an ovn-kubernetes-like OVN at production scale and record a trace on it.

Run by hand (never by the tests or CI); it takes a good quarter of an hour and
a few GB of memory on a 2-core machine:

    python3 benchmarks/make_scale_db.py [--out /tmp/ovnparse-scale] [--pods 12000]
        [--nodes 50] [--namespaces 100] [--services 1500] [--policies 600]

In a private :class:`ovnparse.sandbox.OvnSandbox` (ovsdb-servers, ovn-northd,
ovs-vswitchd with the dummy datapath, ovn-controller, all on unix sockets) it
writes the Northbound with a few large OVSDB ``transact`` requests (JSON ops
with named-uuid references, sent over the NB socket; no ovn-nbctl per object)
while ovn-northd is paused, then lets ovn-northd compute the Southbound once:

* ``ovn_cluster_router`` with ``rtos-<node>`` ports; one logical switch per node
  (``ovn-worker``, ``ovn-worker2`` ... as in ``samples/topology.py``) with its
  ``stor-<node>`` router port and ``k8s-<node>`` management port, the
  allow-from-node ACL and the 1004 reroute policy; the cluster-wide
  ``clusterPortGroup`` / ``clusterRtrPortGroup`` with the multicast deny ACLs;
* dual-stack pods as ``<namespace>_<pod>`` ports (``MAC IPv4 IPv6`` addresses and
  port security, ``external_ids namespace= pod=true``, ``requested-chassis``),
  ``10.244.<node>.<host>`` / ``fd00:10:244:<node>::<host>``;
* per namespace the v4/v6 address sets ovn-kubernetes names
  ``a<fnv1a64(default-network-controller:Namespace:<ns>:v4)>``;
* ClusterIP Services as ``Service_<ns>/<svc>_TCP_cluster`` load balancers (a v4
  and a v6 VIP, 2-3 pod backends of the namespace) in ``clusterLBGroup``,
  attached to every node switch and to ``ovn_cluster_router``;
* NetworkPolicies as ovn-kubernetes writes them: a port group
  ``a<fnv1a64(<ns>_<policy>)>`` per policy, ``NP:<ns>:<policy>:<dir>:<n>``
  allow-related ACLs matching namespace address sets, the namespace
  default-deny port groups ``a<fnv1a64(<ns>)>_ingressDefaultDeny`` /
  ``_egressDefaultDeny`` with their ``NP:<ns>:<dir>`` drop and ARP/ND allow ACLs,
  ``k8s.ovn.org/*`` external_ids throughout.

Then: one pod of node ``ovn-worker`` is plugged into br-int (``add_vif``), a pod
of ``ovn-worker2`` is bound to a fake chassis; once ovn-controller has installed
its OpenFlow flows, one ``ofproto/trace`` of a cross-node pod-to-pod TCP packet
(allowed by the source's egress policy) is recorded, with the real
``ovn-detrace`` output for it.

Output directory (default /tmp/ovnparse-scale; tens of MB, keep it out of the
repository): ``nb.db`` and ``sb.db`` (compacted, ``OvnSandbox.snapshot``),
``sb-uncompacted.db`` (the SB server's own log, copied just after ovn-northd wrote
its flows, plus one record of what was written afterwards: it compacts, checked
by ``ovsdb-tool compact``, to the content of sb.db),
``sb-clustered.db`` (``ovsdb-tool create-cluster`` of sb.db), ``ofproto-trace.txt``,
``ofproto-trace.flow`` (the flow given to ofproto/trace), ``ovn-detrace.txt`` and
``counts.json``.  Every daemon is stopped by pid at the end, also on errors and
Ctrl-C.  Runs at nice 10.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid as uuidlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "samples"))

from ovnparse.sandbox import OvnSandbox  # noqa: E402
from topology import (CONTROLLER, HAIRPIN_SNAT, default_deny_pg,  # noqa: E402
                      ip_to_mac, ns_address_set_ids, ns_address_set_name, policy_pg)

T0 = time.monotonic()


def log(msg: str) -> None:
    print(f"[{time.monotonic() - T0:7.1f}s] {msg}", flush=True)


# --------------------------------------------------------------------------
# a minimal OVSDB JSON-RPC client (one unix socket, synchronous)
# --------------------------------------------------------------------------
class Rpc:
    def __init__(self, remote: str):
        assert remote.startswith("unix:"), remote
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(remote[5:])
        self.buf = b""
        self.next_id = 0
        self.dec = json.JSONDecoder()

    def close(self) -> None:
        self.sock.close()

    def _read_msg(self) -> dict:
        while True:
            if self.buf and self.buf.rstrip().endswith(b"}"):
                text = self.buf.decode()
                try:
                    msg, end = self.dec.raw_decode(text.lstrip())
                except json.JSONDecodeError:
                    msg = None
                if msg is not None:
                    rest = text.lstrip()[end:]
                    self.buf = rest.encode()
                    return msg
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise ConnectionError("ovsdb-server closed the connection")
            self.buf += chunk

    def call(self, method: str, params: list):
        self.next_id += 1
        my_id = self.next_id
        self.sock.sendall(json.dumps({"method": method, "params": params,
                                      "id": my_id}).encode())
        while True:
            msg = self._read_msg()
            if msg.get("method") == "echo":
                self.sock.sendall(json.dumps({"result": msg["params"], "error": None,
                                              "id": msg["id"]}).encode())
                continue
            if msg.get("id") != my_id:
                continue  # a notification
            if msg.get("error"):
                raise RuntimeError(f"{method}: {msg['error']}")
            return msg["result"]

    def transact(self, db: str, ops: list) -> list:
        result = self.call("transact", [db, *ops])
        for i, r in enumerate(result):
            if isinstance(r, dict) and r.get("error"):
                op = ops[i] if i < len(ops) else None
                raise RuntimeError(f"transaction failed at op {i}: {r} (op: "
                                   f"{json.dumps(op)[:400] if op else 'commit'})")
        return result

    def count(self, db: str, table: str) -> int:
        res = self.transact(db, [{"op": "select", "table": table, "where": [],
                                  "columns": ["_uuid"]}])
        return len(res[0]["rows"])


def oset(values) -> list:
    return ["set", list(values)]


def omap(d: dict) -> list:
    return ["map", [[k, v] for k, v in d.items()]]


def uref(u: str) -> list:
    return ["uuid", u]


def nref(name: str) -> list:
    return ["named-uuid", name]


def insert(table: str, row: dict, name: str | None = None) -> dict:
    op = {"op": "insert", "table": table, "row": row}
    if name:
        op["uuid-name"] = name
    return op


def mutate_insert(table: str, row_uuid: str, column: str, refs: list) -> dict:
    return {"op": "mutate", "table": table, "where": [["_uuid", "==", uref(row_uuid)]],
            "mutations": [[column, "insert", oset(refs)]]}


class Txn:
    """Ops of one transaction; remembers which named insert is which op."""

    def __init__(self):
        self.ops: list = []
        self.names: dict[int, str] = {}

    def insert(self, table: str, row: dict, name: str | None = None, key: str | None = None):
        if key:
            self.names[len(self.ops)] = key
        self.ops.append(insert(table, row, name))

    def add(self, op: dict):
        self.ops.append(op)

    def run(self, rpc: Rpc) -> dict[str, str]:
        result = rpc.transact("OVN_Northbound", self.ops)
        return {key: result[i]["uuid"][1] for i, key in self.names.items()}


# --------------------------------------------------------------------------
# the model
# --------------------------------------------------------------------------
APPS = ["web", "api", "worker", "cache", "frontend", "backend"]
POD_PORT = 8080


def node_name(i: int) -> str:
    return "ovn-worker" if i == 1 else f"ovn-worker{i}"


def ns_name(k: int) -> str:
    return f"team-{k:03d}"


def rand_suffix(rnd: random.Random, n: int) -> str:
    return "".join(rnd.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(n))


def build_model(args) -> dict:
    rnd = random.Random(20231126)
    nodes = [dict(name=node_name(i), index=i) for i in range(1, args.nodes + 1)]
    namespaces = [ns_name(k) for k in range(args.namespaces)]
    per_node = -(-args.pods // args.nodes)
    if per_node > 250:
        raise SystemExit(f"{per_node} pods per node do not fit a /24: raise --nodes")
    rs = {(ns, app): rand_suffix(rnd, 10) for ns in namespaces for app in APPS}
    pods = []
    host_next = {n["index"]: 3 for n in nodes}
    for j in range(args.pods):
        n = nodes[j % args.nodes]
        ns = namespaces[(j // args.nodes) % args.namespaces]
        app = APPS[rnd.randrange(len(APPS))]
        host = host_next[n["index"]]
        host_next[n["index"]] += 1
        name = f"{app}-{rs[ns, app]}-{rand_suffix(rnd, 5)}"
        ip4 = f"10.244.{n['index']}.{host}"
        pods.append(dict(ns=ns, name=name, lsp=f"{ns}_{name}", node=n["name"],
                         node_index=n["index"], app=app, ip4=ip4,
                         ip6=f"fd00:10:244:{n['index']}::{host:x}", mac=ip_to_mac(ip4),
                         uid=str(uuidlib.uuid5(uuidlib.NAMESPACE_URL, f"pod/{ns}/{name}"))))
    by_ns: dict[str, list] = {ns: [] for ns in namespaces}
    for p in pods:
        by_ns[p["ns"]].append(p)
    # services: spread over the namespaces, 2-3 backends of the namespace's pods
    services = []
    for s in range(args.services):
        ns = namespaces[s % args.namespaces]
        backends = rnd.sample(by_ns[ns], min(len(by_ns[ns]), 2 + s % 2))
        services.append(dict(ns=ns, name=f"svc-{s // args.namespaces:03d}",
                             vip4=f"172.30.{s // 250}.{s % 250 + 2}",
                             vip6=f"fd02::{s + 2:x}", port=80 + s % 3 * 363,  # 80/443/806
                             backends=backends))
    # NetworkPolicies: per namespace a rotation of six kinds
    policies = []
    kinds = ["allow-from", "allow-same-namespace", "allow-monitoring", "allow-egress-to",
             "allow-dns", "allow-https"]
    for i in range(args.policies):
        k, r = i % args.namespaces, i // args.namespaces
        ns = namespaces[k]
        kind = kinds[r % len(kinds)]
        prev, nxt = namespaces[k - 1], namespaces[(k + 1) % args.namespaces]
        suffix = "" if r < len(kinds) else f"-{r // len(kinds)}"
        if kind == "allow-from":
            pol = dict(name=f"allow-from-{prev}{suffix}", select={"app": APPS[0]},
                       direction="Ingress", peers=[prev], ports=[("tcp", POD_PORT)])
        elif kind == "allow-same-namespace":
            pol = dict(name=f"allow-same-namespace{suffix}", select={"app": APPS[1]},
                       direction="Ingress", peers=[ns], ports=[])
        elif kind == "allow-monitoring":
            pol = dict(name=f"allow-monitoring{suffix}", select={},
                       direction="Ingress", peers=[namespaces[-1]], ports=[("tcp", 9090)])
        elif kind == "allow-egress-to":
            pol = dict(name=f"allow-egress-to-{nxt}{suffix}", select={},
                       direction="Egress", peers=[nxt], ports=[("tcp", POD_PORT)])
        elif kind == "allow-dns":
            pol = dict(name=f"allow-dns{suffix}", select={}, direction="Egress",
                       peers=[namespaces[0]], ports=[("udp", 53), ("tcp", 53)])
        else:
            pol = dict(name=f"allow-https{suffix}", select={"app": APPS[2]},
                       direction="Ingress", peers=[prev, nxt], ports=[("tcp", 443)])
        pol["ns"] = ns
        pol["pods"] = [p for p in by_ns[ns]
                       if all(p.get(key) == v for key, v in pol["select"].items())]
        policies.append(pol)
    return dict(nodes=nodes, namespaces=namespaces, pods=pods, by_ns=by_ns,
                services=services, policies=policies)


# --------------------------------------------------------------------------
# the Northbound, in a few transactions
# --------------------------------------------------------------------------
def acl_row(name, direction, priority, match, action, ids, apply_after_lb=False) -> dict:
    row = {"direction": direction, "priority": priority, "match": match, "action": action,
           "external_ids": omap(ids)}
    if name:
        row["name"] = name
    if apply_after_lb:
        row["options"] = omap({"apply-after-lb": "true"})
    return row


def load_infrastructure(rpc: Rpc) -> dict[str, str]:
    t = Txn()
    t.add({"op": "update", "table": "NB_Global", "where": [], "row": {
        "name": "ovn-kubernetes",
        "options": omap({"mac_prefix": "0a:58:0a", "max_tunid": "16711680",
                         "northd_probe_interval": "10000",
                         "svc_monitor_mac": "0a:58:0a:f4:00:01"})}})
    t.insert("Load_Balancer_Group", {"name": "clusterLBGroup"}, "lbg", key="lbg")
    t.insert("Logical_Router_Policy", {"priority": 102, "action": "allow",
                                       "match": "ip4.src == 10.244.0.0/16 && ip4.dst == 10.244.0.0/16"},
             "pol4")
    t.insert("Logical_Router_Policy", {"priority": 102, "action": "allow",
                                       "match": "ip6.src == fd00:10:244::/48 && ip6.dst == fd00:10:244::/48"},
             "pol6")
    t.insert("Logical_Router", {
        "name": "ovn_cluster_router", "load_balancer_group": oset([nref("lbg")]),
        "policies": oset([nref("pol4"), nref("pol6")]),
        "external_ids": omap({"k8s-cluster-router": "yes", "k8s-ovn-topo-version": "8"}),
        "options": omap({"mcast_relay": "true"})}, "lr", key="lr")
    acls = []
    for direction, pipe in (("Egress", "from-lport"), ("Ingress", "to-lport")):
        name = f"mcast{direction}"
        t.insert("ACL", acl_row(None, pipe, 1011, "(ip4.mcast || mld || igmp || ip6.mcast)", "drop", {
            "k8s.ovn.org/owner-controller": CONTROLLER, "k8s.ovn.org/owner-type": "MulticastCluster",
            "type": "DefaultDeny", "direction": direction,
            "k8s.ovn.org/id": f"{CONTROLLER}:MulticastCluster:DefaultDeny:{direction}"},
            apply_after_lb=pipe == "from-lport"), name)
        acls.append(nref(name))
    t.insert("Port_Group", {"name": "clusterPortGroup", "acls": oset(acls),
                            "external_ids": omap({"name": "clusterPortGroup"})}, key="cpg")
    t.insert("Port_Group", {"name": "clusterRtrPortGroup",
                            "external_ids": omap({"name": "clusterRtrPortGroup"})}, key="crpg")
    return t.run(rpc)


def load_nodes(rpc: Rpc, model: dict, infra: dict, chunk: int) -> dict[str, str]:
    """Node switches with their pods, router ports; returns {lsp name: uuid}."""
    lsp_uuids: dict[str, str] = {}
    pods_by_node: dict[str, list] = {}
    for p in model["pods"]:
        pods_by_node.setdefault(p["node"], []).append(p)
    nodes = model["nodes"]
    for c in range(0, len(nodes), chunk):
        t = Txn()
        for n in nodes[c:c + chunk]:
            i, sw = n["index"], n["name"]
            gw4, gw6 = f"10.244.{i}.1", f"fd00:10:244:{i}::1"
            mgmt4, mgmt6 = f"10.244.{i}.2", f"fd00:10:244:{i}::2"
            rtos, stor, mgmt = f"rtos-{sw}", f"stor-{sw}", f"k8s-{sw}"
            ports = []
            t.insert("Logical_Switch_Port", {"name": stor, "type": "router",
                                             "addresses": oset(["router"]),
                                             "options": omap({"router-port": rtos})},
                     f"stor{i}", key=stor)
            t.insert("Logical_Switch_Port", {"name": mgmt, "addresses": oset(
                [f"{ip_to_mac(mgmt4)} {mgmt4} {mgmt6}"])}, f"mgmt{i}", key=mgmt)
            ports += [nref(f"stor{i}"), nref(f"mgmt{i}")]
            for j, p in enumerate(pods_by_node.get(sw, [])):
                addr = f"{p['mac']} {p['ip4']} {p['ip6']}"
                t.insert("Logical_Switch_Port", {
                    "name": p["lsp"], "addresses": oset([addr]), "port_security": oset([addr]),
                    "external_ids": omap({"namespace": p["ns"], "pod": "true"}),
                    "options": omap({"requested-chassis": sw, "iface-id-ver": p["uid"]})},
                    f"p{i}_{j}", key=p["lsp"])
                ports.append(nref(f"p{i}_{j}"))
            t.insert("ACL", acl_row(None, "to-lport", 1001, f"ip4.src=={mgmt4}", "allow-related", {
                "k8s.ovn.org/owner-controller": CONTROLLER, "k8s.ovn.org/owner-type": "NetpolNode",
                "k8s.ovn.org/name": sw, "ip": mgmt4,
                "k8s.ovn.org/id": f"{CONTROLLER}:NetpolNode:{sw}:{mgmt4}"}), f"nodeacl{i}")
            t.insert("Logical_Switch", {
                "name": sw, "ports": oset(ports), "acls": oset([nref(f"nodeacl{i}")]),
                "load_balancer_group": oset([uref(infra["lbg"])]),
                "other_config": omap({"subnet": f"10.244.{i}.0/24", "exclude_ips": mgmt4,
                                      "ipv6_prefix": f"fd00:10:244:{i}::",
                                      "mcast_snoop": "true", "mcast_querier": "true",
                                      "mcast_eth_src": ip_to_mac(gw4), "mcast_ip4_src": gw4})})
            t.insert("Logical_Router_Port", {"name": rtos, "mac": ip_to_mac(gw4),
                                             "networks": oset([f"{gw4}/24", f"{gw6}/64"])},
                     f"rtos{i}")
            t.add(mutate_insert("Logical_Router", infra["lr"], "ports", [nref(f"rtos{i}")]))
            node_ip4 = f"172.18.{i // 250}.{i % 250 + 1}"
            t.insert("Logical_Router_Policy", {
                "priority": 1004, "action": "reroute", "nexthops": oset([mgmt4]),
                "match": f'inport == "{rtos}" && ip4.dst == {node_ip4} /* {sw} */'}, f"rr{i}")
            t.add(mutate_insert("Logical_Router", infra["lr"], "policies", [nref(f"rr{i}")]))
            t.add(mutate_insert("Port_Group", infra["cpg"], "ports", [nref(f"mgmt{i}")]))
            t.add(mutate_insert("Port_Group", infra["crpg"], "ports", [nref(f"stor{i}")]))
        lsp_uuids.update(t.run(rpc))
        log(f"  switches {c + 1}-{min(c + chunk, len(nodes))} of {len(nodes)}: "
            f"{len(lsp_uuids)} ports so far")
    return lsp_uuids


def load_address_sets(rpc: Rpc, model: dict) -> None:
    t = Txn()
    for ns in model["namespaces"]:
        for fam, key in (("v4", "ip4"), ("v6", "ip6")):
            t.insert("Address_Set", {"name": ns_address_set_name(ns, fam),
                                     "addresses": oset(p[key] for p in model["by_ns"][ns]),
                                     "external_ids": omap(ns_address_set_ids(ns, fam))})
    t.run(rpc)


def load_services(rpc: Rpc, model: dict, infra: dict, chunk: int = 500) -> None:
    svcs = model["services"]
    for c in range(0, len(svcs), chunk):
        t = Txn()
        refs = []
        for s, svc in enumerate(svcs[c:c + chunk], start=c):
            be4 = ",".join(f"{p['ip4']}:{POD_PORT}" for p in svc["backends"])
            be6 = ",".join(f"[{p['ip6']}]:{POD_PORT}" for p in svc["backends"])
            t.insert("Load_Balancer", {
                "name": f"Service_{svc['ns']}/{svc['name']}_TCP_cluster", "protocol": "tcp",
                "vips": omap({f"{svc['vip4']}:{svc['port']}": be4,
                              f"[{svc['vip6']}]:{svc['port']}": be6}),
                "external_ids": omap({"k8s.ovn.org/kind": "Service",
                                      "k8s.ovn.org/owner": f"{svc['ns']}/{svc['name']}"}),
                "options": omap({"event": "false", "reject": "true", "skip_snat": "false",
                                 "neighbor_responder": "none",
                                 "hairpin_snat_ip": HAIRPIN_SNAT})}, f"lb{s}")
            refs.append(nref(f"lb{s}"))
        t.add(mutate_insert("Load_Balancer_Group", infra["lbg"], "load_balancer", refs))
        t.run(rpc)


def _np_ids(ns, pol, direction, gidx, pidx) -> dict:
    return {"k8s.ovn.org/owner-controller": CONTROLLER,
            "k8s.ovn.org/owner-type": "NetworkPolicy",
            "k8s.ovn.org/name": f"{ns}:{pol}", "direction": direction,
            "gress-index": str(gidx), "port-policy-index": str(pidx), "ip-block-index": "-1",
            "k8s.ovn.org/id": f"{CONTROLLER}:NetworkPolicy:{ns}:{pol}:{direction}:{gidx}:{pidx}:-1"}


def load_policies(rpc: Rpc, model: dict, lsp: dict[str, str], chunk: int = 10) -> dict:
    pols_by_ns: dict[str, list] = {}
    for pol in model["policies"]:
        pols_by_ns.setdefault(pol["ns"], []).append(pol)
    counts = {"acls": 0, "port_groups": 0}
    nss = [ns for ns in model["namespaces"] if ns in pols_by_ns]
    for c in range(0, len(nss), chunk):
        t = Txn()
        for k, ns in enumerate(nss[c:c + chunk], start=c):
            # default deny: every pod selected by a policy of that direction
            for direction, pipe, lport in (("Ingress", "to-lport", "outport"),
                                           ("Egress", "from-lport", "inport")):
                members = {p["lsp"] for pol in pols_by_ns[ns] if pol["direction"] == direction
                           for p in pol["pods"]}
                if not members:
                    continue
                pg = default_deny_pg(ns, direction)
                names = []
                for typ, prio, match, action in (
                        ("defaultDeny", 1000, f"{lport} == @{pg}", "drop"),
                        ("arpAllow", 1001, f"{lport} == @{pg} && (arp || nd)", "allow")):
                    var = f"dd{k}{direction}{typ}"
                    t.insert("ACL", acl_row(f"NP:{ns}:{direction}", pipe, prio, match, action, {
                        "k8s.ovn.org/owner-controller": CONTROLLER,
                        "k8s.ovn.org/owner-type": "NetpolNamespace", "k8s.ovn.org/name": ns,
                        "direction": direction, "type": typ,
                        "k8s.ovn.org/id": f"{CONTROLLER}:NetpolNamespace:{ns}:{direction}:{typ}"},
                        apply_after_lb=pipe == "from-lport"), var)
                    names.append(nref(var))
                    counts["acls"] += 1
                t.insert("Port_Group", {
                    "name": pg, "acls": oset(names),
                    "ports": oset(uref(lsp[m]) for m in sorted(members)),
                    "external_ids": omap({"name": f"{ns}_{pg.split('_', 1)[1]}"})})
                counts["port_groups"] += 1
            for q, pol in enumerate(pols_by_ns[ns]):
                pg = policy_pg(ns, pol["name"])
                ingress = pol["direction"] == "Ingress"
                pipe, lport, l3dir = (("to-lport", "outport", "src") if ingress
                                      else ("from-lport", "inport", "dst"))
                v4 = ", ".join(f"${ns_address_set_name(p, 'v4')}" for p in pol["peers"])
                v6 = ", ".join(f"${ns_address_set_name(p, 'v6')}" for p in pol["peers"])
                l3 = f"(ip4.{l3dir} == {{{v4}}} || ip6.{l3dir} == {{{v6}}})"
                names = []
                for pidx, pp in enumerate(pol["ports"] or [None]):
                    if pp is None:
                        match, pidx = f"{l3} && {lport} == @{pg}", -1
                    else:
                        match = f"{l3} && {pp[0]} && {pp[0]}.dst=={pp[1]} && {lport} == @{pg}"
                    var = f"np{k}_{q}_{pidx + 1}"
                    t.insert("ACL", acl_row(f"NP:{ns}:{pol['name']}:{pol['direction']}:0", pipe,
                                            1001, match, "allow-related",
                                            _np_ids(ns, pol["name"], pol["direction"], 0, pidx),
                                            apply_after_lb=not ingress), var)
                    names.append(nref(var))
                    counts["acls"] += 1
                t.insert("Port_Group", {
                    "name": pg, "acls": oset(names),
                    "ports": oset(uref(lsp[p["lsp"]]) for p in pol["pods"]),
                    "external_ids": omap({"name": f"{ns}_{pol['name']}"})})
                counts["port_groups"] += 1
        t.run(rpc)
    return counts


# --------------------------------------------------------------------------
# an uncompacted Southbound file
# --------------------------------------------------------------------------
def _records(data: bytes) -> list[tuple[int, int, bytes]]:
    """(start, end, body) of each complete, checksummed record of an OVSDB file."""
    out, pos = [], 0
    while pos < len(data):
        nl = data.find(b"\n", pos)
        if nl < 0:
            break
        head = data[pos:nl].split()
        if len(head) != 4 or head[0] != b"OVSDB":
            break
        length = int(head[2])
        body = data[nl + 1:nl + 1 + length]
        if len(body) < length or hashlib.sha1(body).hexdigest().encode() != head[3]:
            break  # cut while the server was writing it
        out.append((pos, nl + 1 + length, body))
        pos = nl + 1 + length
    return out


def _record(obj) -> bytes:
    """One standalone-file record, framed as ovsdb-log.c does (length and SHA-1 of body+LF)."""
    body = json.dumps(obj, separators=(",", ":")).encode() + b"\n"
    return b"OVSDB JSON %d %s\n" % (len(body), hashlib.sha1(body).hexdigest().encode()) + body


def _default(coltype) -> object:
    if isinstance(coltype, str):
        return {"string": "", "integer": 0, "real": 0.0, "boolean": False,
                "uuid": ["uuid", "00000000-0000-0000-0000-000000000000"]}[coltype]
    if "value" in coltype:
        return ["map", []]
    if coltype.get("min", 1) == 0 or coltype.get("max", 1) != 1:
        return ["set", []]
    return _default(coltype["key"] if isinstance(coltype["key"], str) else coltype["key"]["type"])


def build_uncompacted(early: Path, early_state: Path, final: Path, dest: Path) -> dict:
    """*early* (the live server's log, copied when ovn-northd had just written the
    flows: the big transaction is a record of its own) + one record taking it to
    the content of *final* (a compacted file).  *early_state* is *early*
    compacted, to diff against."""
    def data_of(path: Path) -> tuple[dict, dict]:
        recs = _records(path.read_bytes())
        assert len(recs) == 2, (path, len(recs))
        return json.loads(recs[0][2]), json.loads(recs[1][2])

    schema, old = data_of(early_state)
    _, new = data_of(final)
    diff: dict = {}
    changes = {"inserted": 0, "deleted": 0, "modified": 0}
    for table, tschema in schema["tables"].items():
        a, b = old.get(table, {}), new.get(table, {})
        t: dict = {}
        for u in a.keys() - b.keys():
            t[u] = None
            changes["deleted"] += 1
        for u in b.keys() - a.keys():
            t[u] = b[u]
            changes["inserted"] += 1
        for u in a.keys() & b.keys():
            ra, rb = a[u], b[u]
            if ra == rb:
                continue
            row = {c: rb[c] for c in rb if ra.get(c) != rb[c]}
            for c in ra.keys() - rb.keys():
                row[c] = _default(tschema["columns"][c]["type"])
            t[u] = row
            changes["modified"] += 1
        if t:
            diff[table] = t
    diff["_date"] = int(time.time() * 1000)
    diff["_comment"] = "ovnparse make_scale_db: what the daemons wrote after ovn-northd's flows"
    dest.write_bytes(early.read_bytes() + _record(diff))
    return changes


# --------------------------------------------------------------------------
# the run
# --------------------------------------------------------------------------
def wait_hv(box: OvnSandbox, timeout: float) -> None:
    """``ovn-nbctl --wait=hv sync`` in the background, printing br-int's flow count."""
    argv = ["ovn-nbctl", f"--db={box.nb_remote}", f"--timeout={int(timeout)}", "--wait=hv", "sync"]
    proc = subprocess.Popen(argv, env=box.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        last = time.monotonic()
        while proc.poll() is None:
            time.sleep(1)
            if time.monotonic() - last >= 20:
                last = time.monotonic()
                try:
                    agg = box.ofctl("dump-aggregate", "br-int", timeout=120).strip()
                except Exception as e:  # vswitchd busy: say so and go on
                    agg = f"(dump-aggregate: {str(e).splitlines()[0]})"
                log(f"  waiting for ovn-controller: {agg}")
        out, err = proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"--wait=hv sync failed ({proc.returncode}): {err.decode()}")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def run(args) -> None:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    model = build_model(args)
    log(f"model: {len(model['nodes'])} nodes, {len(model['namespaces'])} namespaces, "
        f"{len(model['pods'])} pods, {len(model['services'])} services, "
        f"{len(model['policies'])} policies")
    # source: a pod of namespace ns0 on ovn-worker; destination: a pod of the next
    # namespace on ovn-worker2 with app=web (allow-from-<ns0> selects it)
    nss = model["namespaces"]
    src = dst = None
    for k in range(1, len(nss) - 1):
        src = next((p for p in model["by_ns"][nss[k]] if p["node_index"] == 1), None)
        dst = next((p for p in model["by_ns"][nss[k + 1]] if p["node_index"] == 2
                    and p["app"] == APPS[0]), None)
        if src and dst:
            break
    else:
        raise SystemExit("no source/destination pod pair found: use more pods")
    local_node, remote_node = model["nodes"][0], model["nodes"][1]
    remote_chassis = str(uuidlib.uuid5(uuidlib.NAMESPACE_DNS, f"{remote_node['name']}.ovnparse.scale"))

    workdir = Path(tempfile.mkdtemp(prefix="ovnscale-"))
    counts: dict = {"args": vars(args)}
    timings: dict = {}
    box = OvnSandbox(workdir, system_id=str(uuidlib.uuid5(uuidlib.NAMESPACE_DNS,
                                                          f"{local_node['name']}.ovnparse.scale")),
                     hostname=local_node["name"], encap_ip="172.18.0.2", timeout=600)
    try:
        with box:
            log(f"sandbox up in {workdir}: pids {box.pids}")
            box.appctl("ovn-northd", "pause")
            box.add_underlay("breth0", "172.18.0.2/16", neighbors={"172.18.0.3": "02:42:ac:12:00:03"})
            box.add_fake_chassis(remote_chassis, "172.18.0.3", hostname=remote_node["name"])
            t = time.monotonic()
            rpc = Rpc(box.nb_remote)
            infra = load_infrastructure(rpc)
            lsp = load_nodes(rpc, model, infra, args.chunk)
            load_address_sets(rpc, model)
            log("  address sets done")
            load_services(rpc, model, infra)
            log("  services done")
            counts["nb_policy_objects"] = load_policies(rpc, model, lsp)
            log("  network policies done")
            for table in ("Logical_Switch", "Logical_Switch_Port", "Logical_Router_Port",
                          "Load_Balancer", "Port_Group", "ACL", "Address_Set"):
                counts[f"nb_{table}"] = rpc.count("OVN_Northbound", table)
            rpc.close()
            timings["nb_load_s"] = round(time.monotonic() - t, 1)
            log(f"Northbound written in {timings['nb_load_s']} s: "
                + ", ".join(f"{k[3:]} {v}" for k, v in counts.items() if k.startswith("nb_")
                            and isinstance(v, int)))

            t = time.monotonic()
            box.appctl("ovn-northd", "resume")
            box.nbctl("--wait=sb", "sync", timeout=args.timeout)
            timings["northd_s"] = round(time.monotonic() - t, 1)
            # the server's own log now: ovn-northd's flows are a record of their
            # own (ovsdb-server compacts a standalone file >= 1 minute after start)
            raw = box.sb_db_path.read_bytes()
            recs = _records(raw)
            (workdir / "sb-early.db").write_bytes(raw[:recs[-1][1]])
            counts["early_log_records"] = len(recs)
            del raw
            rpc = Rpc(box.sb_remote)
            for table in ("Logical_Flow", "Port_Binding", "Datapath_Binding", "Logical_DP_Group",
                          "Multicast_Group", "Address_Set", "Port_Group", "Load_Balancer"):
                counts[f"sb_{table}"] = rpc.count("OVN_Southbound", table)
            rpc.close()
            log(f"ovn-northd done in {timings['northd_s']} s: "
                f"{counts['sb_Logical_Flow']} logical flows "
                f"({'>=' if counts['sb_Logical_Flow'] >= 100000 else 'BELOW'} 100k)")

            t = time.monotonic()
            box.sbctl("lsp-bind", dst["lsp"], remote_chassis)
            box.sbctl("lsp-bind", f"k8s-{remote_node['name']}", remote_chassis)
            ofport = box.add_vif("veth-src", src["lsp"], mac=src["mac"],
                                 external_ids={"iface-id-ver": src["uid"]})
            wait_hv(box, args.timeout)
            timings["controller_s"] = round(time.monotonic() - t, 1)
            agg = box.ofctl("dump-aggregate", "br-int", timeout=300)
            m = re.search(r"flow_count=(\d+)", agg)
            counts["openflow_flows"] = int(m.group(1)) if m else None
            log(f"ovn-controller caught up in {timings['controller_s']} s: "
                f"{counts['openflow_flows']} OpenFlow flows in br-int")

            flow = (f"in_port={ofport},tcp,dl_src={src['mac']},dl_dst={ip_to_mac('10.244.1.1')},"
                    f"nw_src={src['ip4']},nw_dst={dst['ip4']},nw_ttl=64,tp_src=33000,"
                    f"tp_dst={POD_PORT}")
            t = time.monotonic()
            trace = box.appctl("ovs-vswitchd", "ofproto/trace", "br-int", flow, timeout=600)
            timings["ofproto_trace_s"] = round(time.monotonic() - t, 1)
            (out / "ofproto-trace.flow").write_text(flow + "\n")
            (out / "ofproto-trace.txt").write_text(trace)
            cookies = set(re.findall(r"cookie (0x[0-9a-f]+)", trace)) - {"0x0"}
            counts["trace_lines"] = trace.count("\n")
            counts["trace_cookies"] = len(cookies)
            counts["trace_src"] = src["lsp"]
            counts["trace_dst"] = dst["lsp"]
            log(f"ofproto/trace: {counts['trace_lines']} lines, {len(cookies)} distinct cookies")

            t = time.monotonic()
            for attempt in range(3):
                # ovn-detrace gives its IDL 10 s for the first sync ("Retry Timeout"),
                # too little on a loaded machine: try again, as detrace.py does
                try:
                    detrace = box.run(["ovn-detrace", f"--ovnnb={box.nb_remote}",
                                       f"--ovnsb={box.sb_remote}"], input=trace, timeout=1800)
                    break
                except Exception as e:
                    if attempt == 2 or "Retry Timeout" not in str(e):
                        raise
                    log("  ovn-detrace: Retry Timeout (initial sync too slow), trying again")
            timings["ovn_detrace_live_s"] = round(time.monotonic() - t, 1)
            (out / "ovn-detrace.txt").write_text(detrace)
            log(f"ovn-detrace: {detrace.count(chr(10))} lines in {timings['ovn_detrace_live_s']} s")

            t = time.monotonic()
            box.snapshot(out)
            timings["snapshot_s"] = round(time.monotonic() - t, 1)
            log("snapshot written")
        # sb-uncompacted.db: the early log + one record up to the snapshot's content;
        # checked by compacting a copy with ovsdb-tool and comparing the rows
        t = time.monotonic()
        early = workdir / "sb-early.db"
        early_state = workdir / "sb-early-compacted.db"
        shutil.copyfile(early, early_state)
        subprocess.run(["ovsdb-tool", "compact", str(early_state)], check=True)
        counts["uncompacted_last_record"] = build_uncompacted(
            early, early_state, out / "sb.db", out / "sb-uncompacted.db")
        check = workdir / "sb-check.db"
        shutil.copyfile(out / "sb-uncompacted.db", check)
        subprocess.run(["ovsdb-tool", "compact", str(check)], check=True)
        got = json.loads(_records(check.read_bytes())[1][2])
        want = json.loads(_records((out / "sb.db").read_bytes())[1][2])
        for d in (got, want):
            d.pop("_date", None)
            d.pop("_comment", None)
        if got != want:
            raise RuntimeError("sb-uncompacted.db does not compact to the content of sb.db")
        timings["uncompacted_s"] = round(time.monotonic() - t, 1)
        log(f"sb-uncompacted.db: {counts['early_log_records']} records of the live log + one "
            f"({counts['uncompacted_last_record']}); compacts to the content of sb.db")
        clustered = out / "sb-clustered.db"
        clustered.unlink(missing_ok=True)
        subprocess.run(["ovsdb-tool", "create-cluster", str(clustered), str(out / "sb.db"),
                        "tcp:127.0.0.1:6644"], check=True)
        for f in ("nb.db", "sb.db", "sb-uncompacted.db", "sb-clustered.db"):
            data = (out / f).read_bytes()
            counts[f"file_{f}"] = {"bytes": len(data), "records": data.count(b"OVSDB JSON ") + data.count(b"OVSDB CLUSTER ")}
            for lock in out.glob(f".{f}.~lock~"):
                lock.unlink()
        counts["timings"] = timings
        counts["total_s"] = round(time.monotonic() - T0, 1)
        (out / "counts.json").write_text(json.dumps(counts, indent=1) + "\n")
        log(f"done: {out} ({json.dumps({k: v for k, v in counts.items() if k.startswith('file_')})})")
    finally:
        box.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="/tmp/ovnparse-scale")
    ap.add_argument("--pods", type=int, default=12000)
    ap.add_argument("--nodes", type=int, default=50)
    ap.add_argument("--namespaces", type=int, default=100)
    ap.add_argument("--services", type=int, default=1500)
    ap.add_argument("--policies", type=int, default=600)
    ap.add_argument("--chunk", type=int, default=10, help="node switches per transaction")
    ap.add_argument("--timeout", type=float, default=2400,
                    help="seconds to wait for ovn-northd / ovn-controller")
    args = ap.parse_args(argv)
    # SIGTERM ends like Ctrl-C: the sandbox's daemons are stopped on the way out
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    os.nice(10)
    run(args)


if __name__ == "__main__":
    main()
