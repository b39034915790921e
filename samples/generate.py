#!/usr/bin/env python3
"""Record real ovn-trace / ofproto/trace / ovn-detrace outputs from a private OVN.

    python samples/generate.py [--release 23.03|25.03|26.03] [--keep-sandbox DIR]
                               [--only NAME ...] [--skip-ovs-state]

Starts an :class:`ovnparse.sandbox.OvnSandbox`, builds the ovn-kubernetes-like
topology of ``samples/topology.py`` and, for every scenario below, runs the
real tools and stores exactly what they printed on stdout under
``samples/<scenario>/``.  Every database state the scenarios need is saved
(compacted, standalone) under ``samples/db/<state>/{nb,sb}.db``.
``samples/manifest.json`` lists, per scenario, the argv of every command, its
output file and the *expected* result — computed from the topology this
script built and from the databases (port groups, multicast groups, logical
flows looked up by their ``stage-hint``), never from the trace text.

``--release 25.03`` runs the same scenarios, plus those only OVN with ACL
tiers can express (AdminNetworkPolicy, BaselineAdminNetworkPolicy, ACL
sampling, allow-stateless), with the OVN/OVS of Debian 13 from the root
``tools/build-debian-root trixie`` builds (``26.03``: Debian unstable's), and
writes everything under ``samples/ovn-<release>/`` with the same layout; the
23.03 files (the default, the host's OVN) are left alone.  Those releases also
save, per database state, what an offline OpenFlow replay needs
(``db/<state>/ovs/``: conf.db, ovs-ofctl dumps of br-int, ovs-vsctl show,
dpif/show), unless ``--skip-ovs-state``.  ``--only`` records some scenarios
(and their database states) only; the manifest says so (``subset``).

The script deletes and rewrites everything it generates; it is rerunnable.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from ovnparse.sandbox import (OvnSandbox, SandboxCommandError, debian_root,  # noqa: E402
                              debian_root_packages)
import topology as T  # noqa: E402

MANIFEST = HERE / "manifest.json"
DB_DIR = HERE / "db"
GENERATED_MARK = ".generated"   # every scenario directory carries it, so reruns may delete it

#: release -> the Debian root (tools/build-debian-root SUITE) it runs from; None: the host
RELEASE_ROOTS = {"23.03": None, "25.03": "trixie", "26.03": "sid"}


def out_dir(release: str) -> Path:
    """Where a release's samples go: samples/ itself for 23.03, else samples/ovn-<release>/."""
    return HERE if release == "23.03" else HERE / f"ovn-{release}"

# how many ct passes to set explicitly for "--ct=new" / "--ct-next trk,new"
CT_PASSES = 6


# --------------------------------------------------------------------------
# packets
# --------------------------------------------------------------------------
@dataclass
class Packet:
    """One packet, rendered both as an ovn-trace microflow and as an OpenFlow flow."""

    inport: str                      # logical port
    eth_src: str
    eth_dst: str
    kind: str                        # tcp4 udp4 icmp4 tcp6 udp6 arp nd_ns
    src: str = ""
    dst: str = ""
    ttl: int = 64
    sport: int = 0
    dport: int = 0
    arp_op: int = 1
    arp_sha: str = ""
    arp_tha: str = "00:00:00:00:00:00"
    nd_target: str = ""

    def microflow(self) -> str:
        parts = [f'inport == "{self.inport}"', f"eth.src == {self.eth_src}",
                 f"eth.dst == {self.eth_dst}"]
        k = self.kind
        if k == "arp":
            parts += [f"arp.op == {self.arp_op}", f"arp.sha == {self.arp_sha}",
                      f"arp.spa == {self.src}", f"arp.tha == {self.arp_tha}",
                      f"arp.tpa == {self.dst}"]
        elif k == "nd_ns":
            parts += [f"ip6.src == {self.src}", f"ip6.dst == {self.dst}", "ip.ttl == 255",
                      "icmp6.type == 135", "icmp6.code == 0",
                      f"nd.target == {self.nd_target}", f"nd.sll == {self.eth_src}"]
        else:
            fam = "ip6" if k.endswith("6") else "ip4"
            parts += [f"{fam}.src == {self.src}", f"{fam}.dst == {self.dst}",
                      f"ip.ttl == {self.ttl}"]
            if k.startswith("tcp"):
                parts += ["tcp", f"tcp.src == {self.sport}", f"tcp.dst == {self.dport}"]
            elif k.startswith("udp"):
                parts += ["udp", f"udp.src == {self.sport}", f"udp.dst == {self.dport}"]
            elif k == "icmp4":
                parts += ["icmp4.type == 8", "icmp4.code == 0"]
        return " && ".join(parts)

    def openflow(self, in_port: int | str) -> str:
        f = [f"in_port={in_port}"]
        k = self.kind
        if k == "arp":
            f += ["arp", f"dl_src={self.eth_src}", f"dl_dst={self.eth_dst}",
                  f"arp_op={self.arp_op}", f"arp_sha={self.arp_sha}", f"arp_spa={self.src}",
                  f"arp_tha={self.arp_tha}", f"arp_tpa={self.dst}"]
        elif k == "nd_ns":
            f += ["icmp6", f"dl_src={self.eth_src}", f"dl_dst={self.eth_dst}",
                  f"ipv6_src={self.src}", f"ipv6_dst={self.dst}", "nw_ttl=255",
                  "icmpv6_type=135", "icmpv6_code=0", f"nd_target={self.nd_target}",
                  f"nd_sll={self.eth_src}"]
        else:
            six = k.endswith("6")
            proto = {"tcp": "tcp", "udp": "udp", "icm": "icmp"}[k[:3]] + ("6" if six else "")
            f += [proto, f"dl_src={self.eth_src}", f"dl_dst={self.eth_dst}"]
            if six:
                f += [f"ipv6_src={self.src}", f"ipv6_dst={self.dst}"]
            else:
                f += [f"nw_src={self.src}", f"nw_dst={self.dst}"]
            f.append(f"nw_ttl={self.ttl}")
            # OVS 3.1 ofproto/trace: tp_src/tp_dst are TCP-only aliases there
            if k.startswith("tcp"):
                f += [f"tcp_src={self.sport}", f"tcp_dst={self.dport}"]
            elif k.startswith("udp"):
                f += [f"udp_src={self.sport}", f"udp_dst={self.dport}"]
            elif k == "icmp4":
                f += ["icmp_type=8", "icmp_code=0"]
        return ",".join(f)

    @property
    def uses_ct(self) -> bool:
        return self.kind not in ("arp", "nd_ns")

    def describe(self) -> dict:
        d = {"inport": self.inport, "eth_src": self.eth_src, "eth_dst": self.eth_dst,
             "kind": self.kind}
        if self.kind == "arp":
            d.update(arp_op=self.arp_op, arp_spa=self.src, arp_tpa=self.dst, arp_sha=self.arp_sha)
        elif self.kind == "nd_ns":
            d.update(ip_src=self.src, ip_dst=self.dst, nd_target=self.nd_target)
        else:
            d.update(ip_src=self.src, ip_dst=self.dst, ttl=self.ttl)
            if self.sport or self.dport:
                d.update(sport=self.sport, dport=self.dport)
        return d


def pod_packet(src: T.Pod, kind: str, dst_ip: str, dport: int = 0, *, eth_dst: str | None = None,
               sport: int = 33000, ttl: int = 64, six: bool = False) -> Packet:
    """A packet from pod *src*; eth.dst defaults to the node's router port MAC."""
    n = T.node(src.node)
    return Packet(inport=src.lsp, eth_src=src.mac, eth_dst=eth_dst or n.rtos_mac, kind=kind,
                  src=src.ip6 if six else src.ip4, dst=dst_ip, ttl=ttl, sport=sport, dport=dport)


# --------------------------------------------------------------------------
# scenarios
# --------------------------------------------------------------------------
@dataclass
class Scenario:
    name: str
    description: str
    state: str
    packet: Packet
    datapath: str
    expected: dict                      # with drop = a DropSpec dict to resolve
    expected_ct_new: dict | None = None  # when the --ct=new result differs
    lb_dst: str | None = None
    openflow: bool = True               # source port on the sandbox's chassis
    ofproto_bridge: str = "br-int"
    ofproto_in_port: str | None = None  # interface name when not a pod's VIF
    expected_openflow: dict | None = None
    expected_openflow_ct_est: dict | None = None
    ct_new_once: bool = False           # also record a single --ct=new (the naive way)
    detrace_ovs: bool = False           # also record ovn-detrace --ovs
    known_failure: str | None = None    # the tool is known to fail: record the failure only
    notes: list = field(default_factory=list)


def _drop(datapath, pipeline, stage, reason_code, *, acl=None, acl_type=None, ct=None,
          match_has=None, priority=None, highest=False):
    """Describe a drop so that it can be resolved to one Logical_Flow in the SB.

    *highest*: where several flows are left, all matching the packet (a
    release that adds a more specific one), the packet meets the highest."""
    return {"datapath": datapath, "pipeline": pipeline, "stage": stage,
            "reason_code": reason_code, "acl": acl, "acl_type": acl_type, "ct": ct,
            "match_has": match_has, "priority": priority, "highest": highest}


def scenarios(release: str = "23.03") -> list[Scenario]:
    """Every scenario of *release* (call T.configure(release) first)."""
    W = T.node("ovn-worker")
    W2 = T.node("ovn-worker2")
    test = T.pod("prod/test-6459")
    web = T.pod("default/web")
    api0 = T.pod("prod/api-0")
    dns_local = T.pod("openshift-dns/dns-default-6prvx")
    dns_remote = T.pod("openshift-dns/dns-default-467qw")
    locked = T.pod("restricted/locked-0")
    coredns = T.pod("kube-system/coredns-787d4945fb-l85r5")
    CP = T.node(coredns.node)
    svc_web = [s for s in T.SERVICES if s.name == "web"][0]
    svc_dns = [s for s in T.SERVICES if s.name == "dns-default"][0]
    svc_none = [s for s in T.SERVICES if s.name == "no-endpoints"][0]
    deny_web_in = T.default_deny_pg("default", "Ingress")

    out = []
    # ---- plain forwarding ------------------------------------------------
    out.append(Scenario(
        "pod-to-pod-same-node",
        "prod/test-6459 -> prod/api-0 tcp/8080, both on ovn-worker: switched on the node's "
        "logical switch (namespace prod has no NetworkPolicy)",
        "base", pod_packet(test, "tcp4", api0.ip4, 8080, eth_dst=api0.mac), W.name,
        {"verdict": "delivered", "outputs": [api0.lsp], "datapaths": [W.name]},
        expected_openflow={"verdict": "delivered", "output_ofport": api0.ofport,
                           "output_interface": api0.iface},
        detrace_ovs=True,
    ))
    out.append(Scenario(
        "pod-to-pod-cross-node",
        "prod/test-6459 (ovn-worker) -> openshift-dns/dns-default-467qw (ovn-worker2) udp/5353: "
        "routed by ovn_cluster_router, leaves ovn-worker through a geneve tunnel",
        "base", pod_packet(test, "udp4", dns_remote.ip4, 5353), W.name,
        {"verdict": "delivered", "outputs": [dns_remote.lsp],
         "datapaths": [W.name, "ovn_cluster_router", W2.name]},
        expected_openflow={"verdict": "delivered", "tunnel": "@tunnel:ovn-worker2"},
        detrace_ovs=True,
    ))
    out.append(Scenario(
        "ipv6-pod-to-pod",
        "prod/test-6459 -> openshift-dns/dns-default-467qw over IPv6 (udp/5353), across nodes",
        "base", pod_packet(test, "udp6", dns_remote.ip6, 5353, six=True), W.name,
        {"verdict": "delivered", "outputs": [dns_remote.lsp],
         "datapaths": [W.name, "ovn_cluster_router", W2.name]},
        expected_openflow={"verdict": "delivered", "tunnel": "@tunnel:ovn-worker2"},
    ))
    # ---- services ----------------------------------------------------------
    out.append(Scenario(
        "service-clusterip-dns",
        f"prod/test-6459 -> Service openshift-dns/dns-default {svc_dns.vip4}:53/udp, load-balanced "
        f"on the node switch to dns-default-467qw:{svc_dns.target_port} (chosen with --lb-dst), "
        "then routed to ovn-worker2",
        "base", pod_packet(test, "udp4", svc_dns.vip4, svc_dns.port), W.name,
        {"verdict": "delivered", "outputs": [dns_remote.lsp],
         "datapaths": [W.name, "ovn_cluster_router", W2.name],
         "transforms": [{"kind": "lb", "from": f"{svc_dns.vip4}:{svc_dns.port}",
                         "to": f"{dns_remote.ip4}:{svc_dns.target_port}",
                         "load_balancer": svc_dns.lb_name}]},
        lb_dst=f"{dns_remote.ip4}:{svc_dns.target_port}",
        expected_openflow={"verdict": "incomplete",
                           "note": "ct_lb_mark is an OpenFlow select group with "
                                   "selection_method=dp_hash: ofproto/trace prints 'no live "
                                   "bucket', ends with 'Datapath actions: hash(l4(0)),recirc(...)' "
                                   "and does not follow that recirculation"},
        expected_openflow_ct_est={"verdict": "delivered", "output_bridge": "breth0",
                                  "output_interface": "eth0",
                                  "note": "with trk,est the load balancer's ct.new flows do not "
                                          "match and ofproto/trace applies no NAT: the VIP is "
                                          "routed out through GR_ovn-worker (SNAT) like an "
                                          "external address"},
    ))
    out.append(Scenario(
        "service-clusterip-web",
        f"prod/test-6459 -> Service default/web {svc_web.vip4}:80/tcp after web-allow-prod: "
        "DNAT to default/web (same node, --lb-dst), hairpinned through ovn_cluster_router because "
        "the client addressed the gateway MAC",
        "allow-prod", pod_packet(test, "tcp4", svc_web.vip4, svc_web.port), W.name,
        {"verdict": "delivered", "outputs": [web.lsp],
         "datapaths": [W.name, "ovn_cluster_router", W.name],
         "transforms": [{"kind": "lb", "from": f"{svc_web.vip4}:{svc_web.port}",
                         "to": f"{web.ip4}:{svc_web.target_port}",
                         "load_balancer": svc_web.lb_name}],
         "acl_logs": [{"name": "NP:default:web-allow-prod:Ingress:0", "verdict": "allow",
                       "severity": "notice"}]},
        lb_dst=f"{web.ip4}:{svc_web.target_port}",
        expected_openflow={"verdict": "incomplete",
                           "note": "ct_lb_mark is an OpenFlow select group with "
                                   "selection_method=dp_hash: ofproto/trace prints 'no live "
                                   "bucket', ends with 'Datapath actions: hash(l4(0)),recirc(...)' "
                                   "and does not follow that recirculation"},
        expected_openflow_ct_est={"verdict": "delivered", "output_bridge": "breth0",
                                  "output_interface": "eth0",
                                  "note": "with trk,est the load balancer's ct.new flows do not "
                                          "match and ofproto/trace applies no NAT: the VIP is "
                                          "routed out through GR_ovn-worker (SNAT) like an "
                                          "external address"},
    ))
    out.append(Scenario(
        "service-no-endpoints-reject",
        f"prod/test-6459 -> Service default/no-endpoints {svc_none.vip4}:80/tcp, which has no "
        "endpoints. With --ct=new the load balancer (options:reject=true) refuses the new "
        "connection with a TCP RST. With the default --ct (trk,est) the reject flow, which "
        "matches ct.new, does not apply: the packet is routed out of the cluster like any "
        "external destination (SNAT on GR_ovn-worker) - a trap of ovn-trace's default.",
        "base", pod_packet(test, "tcp4", svc_none.vip4, svc_none.port), W.name,
        {"verdict": "delivered", "outputs": [W.localnet_port],
         "datapaths": [W.name, "ovn_cluster_router", "join", W.gr, W.ext_switch],
         "transforms": [{"kind": "snat", "from": test.ip4, "to": W.node_ip4, "router": W.gr}]},
        expected_ct_new={"verdict": "dropped", "outputs": [], "datapaths": [W.name],
                         "drop": _drop(W.name, "ingress", "ls_in_lb", "reject",
                                       # OVN 26.03 matches the port in reg1
                                       match_has=[f"ip4.dst == {svc_none.vip4}",
                                                  ["tcp.dst == 80", "reg1[0..15] == 80"]]),
                         "reply": {"kind": "tcp_reset", "to": test.lsp}},
        expected_openflow={"verdict": "controller",
                           "note": "tcp_reset is built by ovn-controller (pinctrl)"},
        expected_openflow_ct_est={"verdict": "delivered", "output_bridge": "breth0",
                                  "output_interface": "eth0"},
    ))
    # ---- OVN answering itself -----------------------------------------------
    out.append(Scenario(
        "arp-gateway",
        "prod/test-6459 asks ARP who-has 10.244.1.1 (its gateway, rtos-ovn-worker): "
        "the node switch's ARP responder (ls_in_arp_rsp) answers for the router port",
        "base", Packet(test.lsp, test.mac, "ff:ff:ff:ff:ff:ff", "arp", src=test.ip4, dst=W.gw4,
                       arp_sha=test.mac), W.name,
        {"verdict": "delivered", "outputs": [test.lsp], "datapaths": [W.name],
         "answered_by": {"datapath": W.name, "stage": "ls_in_arp_rsp"}},
        expected_openflow={"verdict": "delivered", "output_in_port": True,
                           "output_ofport": test.ofport, "output_interface": test.iface},
    ))
    out.append(Scenario(
        "arp-responder-pod",
        "prod/test-6459 asks ARP who-has 10.244.1.5 (prod/api-0): answered by the switch's ARP "
        "responder from the port's addresses, api-0 never sees it",
        "base", Packet(test.lsp, test.mac, "ff:ff:ff:ff:ff:ff", "arp", src=test.ip4, dst=api0.ip4,
                       arp_sha=test.mac), W.name,
        {"verdict": "delivered", "outputs": [test.lsp], "datapaths": [W.name],
         "answered_by": {"datapath": W.name, "stage": "ls_in_arp_rsp"}},
        expected_openflow={"verdict": "delivered", "output_in_port": True,
                           "output_ofport": test.ofport, "output_interface": test.iface},
    ))
    out.append(Scenario(
        "nd-ns-pod",
        "prod/test-6459 sends an IPv6 neighbour solicitation for prod/api-0 (fd00:10:244:1::5): "
        "the switch's ND responder answers with a neighbour advertisement (nd_na)",
        "base", Packet(test.lsp, test.mac, "33:33:ff:00:00:05", "nd_ns", src=test.ip6,
                       dst="ff02::1:ff00:5", nd_target=api0.ip6), W.name,
        {"verdict": "delivered", "outputs": [test.lsp], "datapaths": [W.name],
         "answered_by": {"datapath": W.name, "stage": "ls_in_arp_rsp"}},
        expected_openflow={"verdict": "controller",
                           "note": "nd_na is built by ovn-controller (pinctrl), unlike ARP replies"},
    ))
    out.append(Scenario(
        "nd-ns-gateway",
        "prod/test-6459 sends a neighbour solicitation for its gateway fd00:10:244:1::1: the "
        f"switch would answer with nd_na_router, but ovn-trace {release} aborts on that action",
        "base", Packet(test.lsp, test.mac, "33:33:ff:00:00:01", "nd_ns", src=test.ip6,
                       dst="ff02::1:ff00:1", nd_target=W.gw6), W.name,
        {"verdict": "error"},
        known_failure=f"ovn-trace {release}.x handles nd_na_router with ovnact_get_ND_NA() and "
                      "aborts on the assertion 'ovnact->type == OVNACT_ND_NA' "
                      "(utilities/ovn-trace.c, case OVNACT_ND_NA_ROUTER); nothing reaches stdout",
    ))
    out.append(Scenario(
        "icmp-echo-router",
        "prod/test-6459 pings its gateway 10.244.1.1: ovn_cluster_router answers the echo "
        "request itself (lr_in_ip_input) and the reply goes back through the node switch",
        "base", Packet(test.lsp, test.mac, W.rtos_mac, "icmp4", src=test.ip4, dst=W.gw4), W.name,
        {"verdict": "delivered", "outputs": [test.lsp],
         "datapaths": [W.name, "ovn_cluster_router", W.name],
         "answered_by": {"datapath": "ovn_cluster_router", "stage": "lr_in_ip_input"}},
        expected_openflow={"verdict": "delivered", "output_in_port": True,
                           "output_ofport": test.ofport, "output_interface": test.iface},
    ))
    out.append(Scenario(
        "ttl-exceeded",
        "prod/test-6459 -> dns-default-467qw with ip.ttl == 1: ovn_cluster_router drops it and "
        "answers with ICMP time exceeded",
        "base", pod_packet(test, "udp4", dns_remote.ip4, 5353, ttl=1), W.name,
        {"verdict": "dropped", "outputs": [],
         "datapaths": [W.name, "ovn_cluster_router", W.name],
         # OVN 26.03 adds a priority-31 flow for the port's own subnet (the source's)
         "drop": _drop("ovn_cluster_router", "ingress", "lr_in_ip_input", "ttl",
                       match_has=['inport == "rtos-ovn-worker"', "ip4", "ip.ttl == {0, 1}"],
                       highest=True),
         "reply": {"kind": "icmp4", "type": 11, "to": test.lsp}},
        expected_openflow={"verdict": "controller",
                           "note": "icmp4 time exceeded is built by ovn-controller (pinctrl)"},
    ))
    # ---- flooding ---------------------------------------------------------------
    out.append(Scenario(
        "arp-flood-unknown",
        "prod/test-6459 asks ARP who-has 10.244.1.200 (no such pod): no responder matches, the "
        "request is flooded (_MC_flood) to every port of ovn-worker; the copy to the router port "
        "is learned (put_arp) and dropped there",
        "base", Packet(test.lsp, test.mac, "ff:ff:ff:ff:ff:ff", "arp", src=test.ip4,
                       dst="10.244.1.200", arp_sha=test.mac), W.name,
        {"verdict": "flooded", "outputs": "@flood:ovn-worker:_MC_flood", "datapaths": [W.name,
                                                                                       "ovn_cluster_router"]},
        expected_openflow={"verdict": "flooded", "flood": "all VIFs of ovn-worker on this chassis "
                           "except the in_port, and the geneve tunnels to the other chassis with "
                           "ports on ovn-worker (none)"},
    ))
    out.append(Scenario(
        "broadcast-udp-flood",
        "prod/test-6459 sends a UDP broadcast (255.255.255.255:9999): flooded to the ports of "
        "ovn-worker, but default/web's copy is dropped by the default deny of namespace default "
        "and the router drops its copy",
        "base", Packet(test.lsp, test.mac, "ff:ff:ff:ff:ff:ff", "udp4", src=test.ip4,
                       dst="255.255.255.255", sport=33000, dport=9999), W.name,
        {"verdict": "flooded", "outputs": "@flood:ovn-worker:_MC_flood:-acl",
         "datapaths": [W.name, "ovn_cluster_router"],
         "acl_logs": [{"name": "NP:default:Ingress", "verdict": "drop", "severity": "alert"}]},
        expected_openflow={"verdict": "flooded"},
    ))
    # ---- drops ------------------------------------------------------------------
    out.append(Scenario(
        "port-security-mac-spoof",
        "prod/test-6459 sends with a spoofed source MAC: dropped by port security "
        "(ls_in_check_port_sec sets reg0[15], ls_in_apply_port_sec drops)",
        "base", Packet(test.lsp, "0a:58:0a:f4:01:99", api0.mac, "tcp4", src=test.ip4,
                       dst=api0.ip4, sport=33000, dport=8080), W.name,
        {"verdict": "dropped", "outputs": [], "datapaths": [W.name],
         "drop": _drop(W.name, "ingress", "ls_in_apply_port_sec", "port-security",
                       match_has=["reg0[15] == 1"])},
        expected_openflow={"verdict": "dropped"},
    ))
    out.append(Scenario(
        "port-security-ip-spoof",
        "prod/test-6459 sends from 10.244.1.99 (not its IP) with its own MAC: dropped by port "
        "security",
        "base", Packet(test.lsp, test.mac, api0.mac, "tcp4", src="10.244.1.99",
                       dst=api0.ip4, sport=33000, dport=8080), W.name,
        {"verdict": "dropped", "outputs": [], "datapaths": [W.name],
         "drop": _drop(W.name, "ingress", "ls_in_apply_port_sec", "port-security",
                       match_has=["reg0[15] == 1"])},
        expected_openflow={"verdict": "dropped"},
    ))
    out.append(Scenario(
        "no-route",
        "kube-system/coredns on ovn-control-plane (a node whose gateway router is not set up yet, "
        "so there is no src-ip route for 10.244.3.0/24) -> 1.1.1.1: ovn_cluster_router has no "
        "matching route and drops",
        "base", pod_packet(coredns, "tcp4", "1.1.1.1", 443), CP.name,
        {"verdict": "dropped", "outputs": [], "datapaths": [CP.name, "ovn_cluster_router"],
         "drop": _drop("ovn_cluster_router", "ingress", "lr_in_ip_routing", "no-route",
                       match_has=["1"], priority=0)},
        openflow=False,
        notes=["the source pod is on a fake chassis: no OpenFlow trace"],
    ))
    out.append(Scenario(
        "acl-ingress-default-deny",
        "The guide's scenario: prod/test-6459 -> default/web tcp/80 under NetworkPolicy "
        "deny-by-default in namespace default. With the default --ct (trk,est) the established "
        "connection is marked blocked (ct_commit { ct_mark.blocked = 1; }); with --ct=new the new "
        "connection hits the drop flow. Both log (acl-logging severity alert).",
        "base", pod_packet(test, "tcp4", web.ip4, 80, eth_dst=web.mac), W.name,
        {"verdict": "dropped", "outputs": [], "datapaths": [W.name],
         "drop": _drop(W.name, "egress", "ls_out_acl", "acl", acl="NP:default:Ingress",
                       acl_type="defaultDeny", ct="est"),
         "acl_logs": [{"name": "NP:default:Ingress", "verdict": "drop", "severity": "alert"}]},
        expected_ct_new={"verdict": "dropped", "outputs": [], "datapaths": [W.name],
                         "drop": _drop(W.name, "egress", "ls_out_acl", "acl",
                                       acl="NP:default:Ingress", acl_type="defaultDeny", ct="new"),
                         "acl_logs": [{"name": "NP:default:Ingress", "verdict": "drop",
                                     "severity": "alert"}]},
        ct_new_once=True,
        expected_openflow={"verdict": "dropped", "note": "the ACL's log() becomes a controller() "
                           "action (sampled userspace action in the datapath actions)"},
        expected_openflow_ct_est={"verdict": "dropped"},
        detrace_ovs=True,
        notes=[f"port group {deny_web_in} = hash('default') + '_ingressDefaultDeny', as in the guide"
               if not T.tiered() else
               f"port group {deny_web_in} = hash('{T.CONTROLLER}:NetpolNamespace:default:Ingress'), "
               "as current ovn-kubernetes names it",
               "a single --ct=new only sets the first ct_lb_mark (ingress pipeline); the egress "
               "one falls back to trk,est, see ovn-trace.ct-new-once.detailed.txt"],
    ))
    out.append(Scenario(
        "acl-ingress-allowed-after-web-allow-prod",
        "The guide's scenario after NetworkPolicy web-allow-prod (ingress from namespaces with "
        "purpose=production): prod/test-6459 -> default/web tcp/80 is allowed, the allow ACL logs "
        "(severity notice)",
        "allow-prod", pod_packet(test, "tcp4", web.ip4, 80, eth_dst=web.mac), W.name,
        {"verdict": "delivered", "outputs": [web.lsp], "datapaths": [W.name],
         "acl_logs": [{"name": "NP:default:web-allow-prod:Ingress:0", "verdict": "allow",
                       "severity": "notice"}]},
        expected_ct_new={"verdict": "delivered", "outputs": [web.lsp], "datapaths": [W.name],
                         "acl_logs": [{"name": "NP:default:web-allow-prod:Ingress:0",
                                     "verdict": "allow", "severity": "notice"}]},
        expected_openflow={"verdict": "delivered", "output_ofport": web.ofport,
                           "output_interface": web.iface},
        expected_openflow_ct_est={"verdict": "delivered", "output_ofport": web.ofport,
                                  "output_interface": web.iface},
    ))
    out.append(Scenario(
        "acl-ingress-default-deny-other-namespace-pod",
        "After web-allow-prod, default/web still refuses openshift-dns/dns-default-6prvx "
        "(namespace openshift-dns is not purpose=production): dropped by the default deny of "
        "namespace default in ovn-worker's egress pipeline",
        "allow-prod", pod_packet(dns_local, "tcp4", web.ip4, 80, eth_dst=web.mac), W.name,
        {"verdict": "dropped", "outputs": [], "datapaths": [W.name],
         "drop": _drop(W.name, "egress", "ls_out_acl", "acl", acl="NP:default:Ingress",
                       acl_type="defaultDeny", ct="est"),
         "acl_logs": [{"name": "NP:default:Ingress", "verdict": "drop", "severity": "alert"}]},
        expected_ct_new={"verdict": "dropped", "outputs": [], "datapaths": [W.name],
                         "drop": _drop(W.name, "egress", "ls_out_acl", "acl",
                                       acl="NP:default:Ingress", acl_type="defaultDeny",
                                       ct="new"),
                         "acl_logs": [{"name": "NP:default:Ingress", "verdict": "drop",
                                     "severity": "alert"}]},
        expected_openflow={"verdict": "dropped"},
    ))
    out.append(Scenario(
        "acl-egress-deny",
        "restricted/locked-0 -> prod/api-0 tcp/8080: NetworkPolicy allow-dns-only (egress to "
        "openshift-dns udp/5353 only) makes the egress default deny of namespace restricted drop "
        "it in the source switch's ls_in_acl_after_lb (from-lport ACL, apply-after-lb=true)",
        "base", pod_packet(locked, "tcp4", api0.ip4, 8080, eth_dst=api0.mac), W.name,
        {"verdict": "dropped", "outputs": [], "datapaths": [W.name],
         "drop": _drop(W.name, "ingress", "ls_in_acl_after_lb", "acl", acl="NP:restricted:Egress",
                       acl_type="defaultDeny", ct="est")},
        expected_ct_new={"verdict": "dropped", "outputs": [], "datapaths": [W.name],
                         "drop": _drop(W.name, "ingress", "ls_in_acl_after_lb", "acl",
                                       acl="NP:restricted:Egress", acl_type="defaultDeny",
                                       ct="new")},
        expected_openflow={"verdict": "dropped"},
        expected_openflow_ct_est={"verdict": "dropped"},
        detrace_ovs=True,
        notes=["restricted/locked-0 is on OpenFlow port 13: ovn-detrace --ovs reads in_port with "
               "the regex 'in_port=([0-9])+', keeps only the last digit and names the interface "
               f"of port 3 (default/web's) - a bug of ovn-detrace {release}"],
    ))
    out.append(Scenario(
        "acl-egress-allowed-dns",
        "restricted/locked-0 -> openshift-dns/dns-default-6prvx udp/5353 (same node): allowed "
        "by allow-dns-only (allow-related, matched after the load balancer)",
        "base", pod_packet(locked, "udp4", dns_local.ip4, 5353, eth_dst=dns_local.mac), W.name,
        {"verdict": "delivered", "outputs": [dns_local.lsp], "datapaths": [W.name]},
        expected_openflow={"verdict": "delivered", "output_ofport": dns_local.ofport,
                           "output_interface": dns_local.iface},
        expected_openflow_ct_est={"verdict": "delivered", "output_ofport": dns_local.ofport,
                                  "output_interface": dns_local.iface},
    ))
    out.append(Scenario(
        "egress-firewall-deny",
        "prod/test-6459 -> 8.8.8.8 tcp/443: EgressFirewall rule 0 of namespace prod (Deny "
        "8.8.8.8/32) is a to-lport ACL on the namespace's port group; it drops the packet in "
        "ovn-worker's egress pipeline towards stor-ovn-worker (and logs, severity warning)",
        "base", pod_packet(test, "tcp4", "8.8.8.8", 443), W.name,
        {"verdict": "dropped", "outputs": [], "datapaths": [W.name],
         "drop": _drop(W.name, "egress", "ls_out_acl", "acl", acl="EF:prod:0", ct="est"),
         "acl_logs": [{"name": "EF:prod:0", "verdict": "drop", "severity": "warning"}]},
        expected_ct_new={"verdict": "dropped", "outputs": [], "datapaths": [W.name],
                         "drop": _drop(W.name, "egress", "ls_out_acl", "acl", acl="EF:prod:0",
                                       ct="new"),
                         "acl_logs": [{"name": "EF:prod:0", "verdict": "drop", "severity": "warning"}]},
        expected_openflow={"verdict": "dropped"},
        expected_openflow_ct_est={"verdict": "dropped"},
    ))
    out.append(Scenario(
        "north-south-snat",
        "prod/test-6459 -> 1.1.1.1 tcp/443: src-ip route to GR_ovn-worker through the join "
        "switch, SNAT to the node IP 172.18.0.2, out of the localnet port of ext_ovn-worker "
        "(next hop 172.18.0.1 has a MAC_Binding)",
        "base", pod_packet(test, "tcp4", "1.1.1.1", 443), W.name,
        {"verdict": "delivered", "outputs": [W.localnet_port],
         "datapaths": [W.name, "ovn_cluster_router", "join", W.gr, W.ext_switch],
         "transforms": [{"kind": "snat", "from": test.ip4, "to": W.node_ip4, "router": W.gr}]},
        expected_openflow={"verdict": "delivered", "output_bridge": "breth0",
                           "output_interface": "eth0",
                           "note": "through the patch port to breth0, then NORMAL (static fdb "
                                   "entry for the upstream router's MAC on eth0)"},
        detrace_ovs=True,
    ))
    out.append(Scenario(
        "north-south-ipv6-nd-resolve",
        "prod/test-6459 -> 2001:4860:4860::8888 tcp/443: routed to GR_ovn-worker, but the IPv6 "
        "next hop fc00:f853:ccd:e793::1 has no MAC_Binding, so OVN sends a neighbour "
        "solicitation instead (ovn-controller holds the packet)",
        "base", pod_packet(test, "tcp6", "2001:4860:4860::8888", 443, six=True), W.name,
        {"verdict": "controller", "outputs": [],
         # the NS is flooded in ext_ovn-worker, and its copy to etor-GR_ovn-worker
         # enters the gateway router again (and is dropped there); OVN 26.03 floods
         # it with _MC_flood_l2, which has no router port: no copy goes back
         "datapaths": [W.name, "ovn_cluster_router", "join", W.gr, W.ext_switch]
         + ([W.gr] if T.RELEASE in ("23.03", "25.03") else []),
         "resolution": {"kind": "nd_ns", "target": "fc00:f853:ccd:e793::1",
                        "router": W.gr, "port": f"rtoe-{W.gr}"}},
        expected_openflow={"verdict": "controller",
                           "note": "nd_ns is built by ovn-controller (pinctrl)"},
        notes=[] if not T.tiered() else [
            "OVN >= 24.09 (commit c141d8b19, 'Use paused controller action for packet "
            "buffering') writes 'nd_ns { ... }; output;': ovn-trace follows that output, the "
            "original packet with eth.dst 00:00:00:00:00:00, through ext_ovn-worker's "
            "_MC_unknown to the localnet port; in OpenFlow the nd_ns is controller(...,pause), "
            "which holds the packet in ovn-controller until the neighbour is resolved (the "
            "datapath actions show no userspace action for it)"],
    ))
    out.append(Scenario(
        "arp-reply-learned-by-gateway",
        "Another host of the node network, 172.18.0.5, answers an ARP request of GR_ovn-worker "
        "through the localnet port: the gateway router has no MAC_Binding for it yet, hands a "
        "copy to ovn-controller to learn it (put_arp) and drops the reply in lr_in_ip_input. "
        "In OpenFlow only the controller() action is left. The OpenFlow trace starts on breth0 "
        "at the physical port eth0.",
        "base", Packet(W.localnet_port, "02:42:ac:12:00:05", W.host_mac, "arp", src="172.18.0.5",
                       dst=W.node_ip4, arp_op=2, arp_sha="02:42:ac:12:00:05",
                       arp_tha=W.host_mac), W.ext_switch,
        {"verdict": "dropped", "outputs": [], "datapaths": [W.ext_switch, W.gr],
         "drop": _drop(W.gr, "ingress", "lr_in_ip_input", "other", match_has=["arp || nd"],
                       priority=85),
         "learned": {"router": W.gr, "port": f"rtoe-{W.gr}", "ip": "172.18.0.5",
                     "mac": "02:42:ac:12:00:05", "action": "put_arp"}},
        ofproto_bridge="breth0", ofproto_in_port="eth0",
        expected_openflow={"verdict": "controller", "note": "put_arp is done by ovn-controller"},
    ))
    if T.tiered():
        out += tiered_scenarios()
    return out


def tiered_scenarios() -> list[Scenario]:
    """What OVN with ACL tiers (≥ 23.09) and current ovn-kubernetes add: the
    AdminNetworkPolicy tiers, allow-stateless and ACL sampling.  ``acls`` lists
    the ACLs the packet meets, in order, as the policies say it must."""
    W = T.node("ovn-worker")
    test = T.pod("prod/test-6459")
    web = T.pod("default/web")
    api0 = T.pod("prod/api-0")
    dns_local = T.pod("openshift-dns/dns-default-6prvx")
    locked = T.pod("restricted/locked-0")

    def acl_drop(pipeline, stage, acl, ct, acl_type=None):
        return _drop(W.name, pipeline, stage, "acl", acl=acl, acl_type=acl_type, ct=ct)

    def dropped(pipeline, stage, acl, *, acl_type=None, logs=(), acls=()):
        """expected (trk,est) and expected_ct_new of a drop by ACL *acl*."""
        return tuple({"verdict": "dropped", "outputs": [], "datapaths": [W.name],
                      "drop": acl_drop(pipeline, stage, acl, ct, acl_type),
                      "acl_logs": list(logs), "acls": list(acls)} for ct in ("est", "new"))

    def delivered(port, *, logs=(), acls=()):
        return {"verdict": "delivered", "outputs": [port], "datapaths": [W.name],
                "acl_logs": list(logs), "acls": list(acls)}

    def log(name, verdict, severity):
        return {"name": name, "verdict": verdict, "severity": severity}

    def of_out(p):
        return {"verdict": "delivered", "output_ofport": p.ofport, "output_interface": p.iface}

    out = []
    pass_np = ("ANP:default-ingress:Ingress:1", "pass")
    est, new = dropped("egress", "ls_out_acl", "NP:default:Ingress", acl_type="defaultDeny",
                       logs=[log("ANP:default-ingress:Ingress:1", "pass", "warning"),
                             log("NP:default:Ingress", "drop", "alert")],
                       acls=[pass_np, ("NP:default:Ingress", "drop")])
    out.append(Scenario(
        "anp-pass-to-networkpolicy-deny",
        "prod/test-6459 -> default/web tcp/80 under AdminNetworkPolicy default-ingress, whose "
        "rule 1 passes traffic from purpose=production namespaces (tier 1, ACL action pass, "
        "logged at warning) on to the NetworkPolicies: deny-by-default of namespace default "
        "drops it in tier 2 (logged at alert)",
        "admin-policies", pod_packet(test, "tcp4", web.ip4, 80, eth_dst=web.mac), W.name,
        est, expected_ct_new=new,
        expected_openflow={"verdict": "dropped"}, expected_openflow_ct_est={"verdict": "dropped"},
        detrace_ovs=True,
    ))
    est, new = dropped("egress", "ls_out_acl", "ANP:protect-prod:Ingress:0",
                       logs=[log("ANP:protect-prod:Ingress:0", "drop", "alert")],
                       acls=[("ANP:protect-prod:Ingress:0", "drop")])
    out.append(Scenario(
        "anp-deny-logged",
        "openshift-dns/dns-default-6prvx -> prod/api-0 tcp/8080: AdminNetworkPolicy "
        "protect-prod (priority 20) denies ingress from openshift-dns to port 8080: dropped in "
        "tier 1 of ovn-worker's egress pipeline, logged (the ANP's acl-logging deny: alert)",
        "admin-policies", pod_packet(dns_local, "tcp4", api0.ip4, 8080, eth_dst=api0.mac), W.name,
        est, expected_ct_new=new,
        expected_openflow={"verdict": "dropped"}, expected_openflow_ct_est={"verdict": "dropped"},
    ))
    est, new = dropped("ingress", "ls_in_acl_after_lb", "ANP:restricted-no-dns:Egress:0",
                       acls=[("ANP:restricted-no-dns:Egress:0", "drop")])
    out.append(Scenario(
        "anp-deny-overrides-networkpolicy-allow",
        "restricted/locked-0 -> openshift-dns/dns-default-6prvx udp/5353, which NetworkPolicy "
        "allow-dns-only allows (scenario acl-egress-allowed-dns): AdminNetworkPolicy "
        "restricted-no-dns denies it first, in tier 1 of the source switch's "
        "ls_in_acl_after_lb_eval (from-lport, apply-after-lb); the ANP does not log",
        "admin-policies", pod_packet(locked, "udp4", dns_local.ip4, 5353, eth_dst=dns_local.mac),
        W.name, est, expected_ct_new=new,
        expected_openflow={"verdict": "dropped"}, expected_openflow_ct_est={"verdict": "dropped"},
        detrace_ovs=True,
    ))
    exp = delivered(web.lsp, logs=[log("ANP:default-ingress:Ingress:0", "allow", "notice")],
                    acls=[("ANP:default-ingress:Ingress:0", "allow-related")])
    out.append(Scenario(
        "anp-allow-overrides-networkpolicy-deny",
        "openshift-dns/dns-default-6prvx -> default/web tcp/80, which deny-by-default of "
        "namespace default drops (scenario acl-ingress-default-deny-other-namespace-pod): "
        "AdminNetworkPolicy default-ingress rule 0 allows it in tier 1 (allow-related, logged "
        "at notice) before the NetworkPolicies are looked at",
        "admin-policies", pod_packet(dns_local, "tcp4", web.ip4, 80, eth_dst=web.mac), W.name,
        exp, expected_ct_new=exp,
        expected_openflow=of_out(web), expected_openflow_ct_est=of_out(web),
    ))
    pass_dns = ("ANP:dns-delegate:Ingress:0", "pass")
    exp = delivered(dns_local.lsp, acls=[pass_dns, ("BANP:default:Ingress:0", "allow-related")])
    out.append(Scenario(
        "anp-pass-then-banp-allow",
        "prod/test-6459 -> openshift-dns/dns-default-6prvx tcp/9153: AdminNetworkPolicy "
        "dns-delegate passes prod's traffic (tier 1, unlogged), namespace openshift-dns has no "
        "NetworkPolicy (tier 2 decides nothing), BaselineAdminNetworkPolicy default rule 0 "
        "allows port 9153 from prod (tier 3)",
        "admin-policies", pod_packet(test, "tcp4", dns_local.ip4, 9153, eth_dst=dns_local.mac),
        W.name, exp, expected_ct_new=exp,
        expected_openflow=of_out(dns_local), expected_openflow_ct_est=of_out(dns_local),
    ))
    est, new = dropped("egress", "ls_out_acl", "BANP:default:Ingress:1",
                       logs=[log("BANP:default:Ingress:1", "drop", "alert")],
                       acls=[pass_dns, ("BANP:default:Ingress:1", "drop")])
    out.append(Scenario(
        "anp-pass-then-banp-deny",
        "prod/test-6459 -> openshift-dns/dns-default-6prvx tcp/8080: passed by "
        "AdminNetworkPolicy dns-delegate (tier 1), no NetworkPolicy (tier 2), denied by "
        "BaselineAdminNetworkPolicy default rule 1 (every namespace) in tier 3, logged at alert",
        "admin-policies", pod_packet(test, "tcp4", dns_local.ip4, 8080, eth_dst=dns_local.mac),
        W.name, est, expected_ct_new=new,
        expected_openflow={"verdict": "dropped"}, expected_openflow_ct_est={"verdict": "dropped"},
        detrace_ovs=True,
    ))
    est, new = dropped("egress", "ls_out_acl", "BANP:default:Ingress:1",
                       acls=[pass_dns, ("BANP:default:Ingress:1", "drop")])
    out.append(Scenario(
        "banp-deny-unlogged",
        "anp-pass-then-banp-deny's packet after the acl-logging annotations of the "
        "AdminNetworkPolicies and the BaselineAdminNetworkPolicy were removed: the same tier-3 "
        "drop, without a log",
        "admin-policies-unlogged",
        pod_packet(test, "tcp4", dns_local.ip4, 8080, eth_dst=dns_local.mac),
        W.name, est, expected_ct_new=new,
        expected_openflow={"verdict": "dropped"}, expected_openflow_ct_est={"verdict": "dropped"},
    ))
    est, new = dropped("ingress", "ls_in_acl_after_lb", "NP:restricted:Egress",
                       acl_type="defaultDeny", acls=[("NP:restricted:Egress", "drop")])
    out.append(Scenario(
        "anp-no-match-networkpolicy-deny",
        "restricted/locked-0 -> prod/api-0 tcp/8080 with the AdminNetworkPolicies in place: no "
        "ANP rule matches (tier 1), the egress default deny of namespace restricted drops it in "
        "tier 2, unlogged (namespace restricted has no acl-logging annotation)",
        "admin-policies", pod_packet(locked, "tcp4", api0.ip4, 8080, eth_dst=api0.mac), W.name,
        est, expected_ct_new=new,
        expected_openflow={"verdict": "dropped"}, expected_openflow_ct_est={"verdict": "dropped"},
    ))
    exp = delivered(api0.lsp, acls=[("NP:prod:stateless-api-ingress:Ingress:0",
                                     "allow-stateless")])
    out.append(Scenario(
        "acl-allow-stateless",
        "default/web -> prod/api-0 tcp/8080: NetworkPolicy stateless-api-ingress (annotation "
        "k8s.ovn.org/acl-stateless) allows port 8080 from namespace default with an "
        "allow-stateless ACL: no connection tracking commit for it",
        "admin-policies", pod_packet(web, "tcp4", api0.ip4, 8080, eth_dst=api0.mac), W.name,
        exp, expected_ct_new=exp,
        expected_openflow=of_out(api0), expected_openflow_ct_est=of_out(api0),
    ))
    est, new = dropped("egress", "ls_out_acl", "NP:default:Ingress", acl_type="defaultDeny",
                       logs=[log("NP:default:Ingress", "drop", "alert")],
                       acls=[("NP:default:Ingress", "drop")])
    for e in (est, new):
        e["samples"] = ["NP:default:Ingress"]
    out.append(Scenario(
        "acl-sampling-default-deny",
        "The guide's scenario (prod/test-6459 -> default/web tcp/80, deny-by-default) with "
        "ovn-kubernetes observability on: every ACL carries a Sample (sample_new = "
        "sample_est, collector set 42); the drop is sampled besides being logged",
        "observability", pod_packet(test, "tcp4", web.ip4, 80, eth_dst=web.mac), W.name,
        est, expected_ct_new=new,
        expected_openflow={"verdict": "dropped"}, expected_openflow_ct_est={"verdict": "dropped"},
        detrace_ovs=True,
    ))
    exp = delivered(dns_local.lsp, acls=[("NP:restricted:allow-dns-only:Egress:0",
                                          "allow-related")])
    exp["samples"] = ["NP:restricted:allow-dns-only:Egress:0"]
    out.append(Scenario(
        "acl-sampling-allowed",
        "restricted/locked-0 -> openshift-dns/dns-default-6prvx udp/5353 with observability "
        "on: allowed by allow-dns-only, whose ACL samples new (Sampling_App acl-new) and "
        "established (acl-est) connections",
        "observability", pod_packet(locked, "udp4", dns_local.ip4, 5353, eth_dst=dns_local.mac),
        W.name, exp, expected_ct_new=exp,
        expected_openflow=of_out(dns_local), expected_openflow_ct_est=of_out(dns_local),
    ))
    return out


# --------------------------------------------------------------------------
# database helpers (expected values)
# --------------------------------------------------------------------------
def _decode(v):
    """OVSDB JSON → Python (uuid → str, set → list, map → dict)."""
    if isinstance(v, list) and len(v) == 2 and isinstance(v[0], str):
        tag, val = v
        if tag == "uuid" or tag == "named-uuid":
            return val
        if tag == "set":
            return [_decode(x) for x in val]
        if tag == "map":
            return {_decode(k): _decode(x) for k, x in val}
    return v


def _rows(sb, ctl, table: str) -> list[dict]:
    out = ctl("--format=json", "list", table)
    data = json.loads(out)
    heads = data["headings"]
    return [{h: _decode(v) for h, v in zip(heads, row)} for row in data["data"]]


class DB:
    """The bits of NB and SB the expected values are computed from."""

    def __init__(self, sb):
        self.lflows = _rows(sb, sb.sbctl, "Logical_Flow")
        self.datapaths = {r["_uuid"]: r for r in _rows(sb, sb.sbctl, "Datapath_Binding")}
        self.dp_groups = {r["_uuid"]: r for r in _rows(sb, sb.sbctl, "Logical_DP_Group")}
        self.mc_groups = _rows(sb, sb.sbctl, "Multicast_Group")
        self.port_bindings = {r["_uuid"]: r for r in _rows(sb, sb.sbctl, "Port_Binding")}
        self.acls = _rows(sb, sb.nbctl, "ACL")
        self.port_groups = _rows(sb, sb.nbctl, "Port_Group")
        self.lsps = {r["_uuid"]: r for r in _rows(sb, sb.nbctl, "Logical_Switch_Port")}
        self.lbs = _rows(sb, sb.nbctl, "Load_Balancer")
        if T.tiered():
            self.samples = {r["_uuid"]: r for r in _rows(sb, sb.nbctl, "Sample")}
            self.collectors = {r["_uuid"]: r for r in _rows(sb, sb.nbctl, "Sample_Collector")}
            self.sampling_apps = {r["type"]: r["id"] for r in _rows(sb, sb.nbctl, "Sampling_App")}

    def dp_uuid(self, name: str) -> str:
        for u, d in self.datapaths.items():
            if d["external_ids"].get("name") == name:
                return u
        raise LookupError(name)

    def flow_datapaths(self, lf) -> list[str]:
        dps = []
        if lf["logical_datapath"]:
            dps.append(lf["logical_datapath"] if isinstance(lf["logical_datapath"], str)
                       else lf["logical_datapath"][0])
        grp = lf["logical_dp_group"]
        if grp:
            g = grp if isinstance(grp, str) else grp[0]
            dps += self.dp_groups[g]["datapaths"]
        return [d for d in dps if d]

    def acl(self, name: str, acl_type: str | None) -> dict:
        hits = [a for a in self.acls if a["name"] == name
                and (acl_type is None or a["external_ids"].get("type") == acl_type)]
        if len(hits) != 1:
            raise LookupError(f"ACL {name} type={acl_type}: {len(hits)} rows")
        return hits[0]

    def acl_by_action(self, name: str, action: str) -> dict:
        hits = [a for a in self.acls if a["name"] == name and a["action"] == action]
        if len(hits) != 1:
            raise LookupError(f"ACL {name} action={action}: {len(hits)} rows")
        return hits[0]

    @staticmethod
    def owner(acl: dict) -> dict:
        """The Kubernetes object behind an ACL, from ovn-kubernetes' owner ids."""
        ids = acl["external_ids"]
        kind, name = ids.get("k8s.ovn.org/owner-type"), ids.get("k8s.ovn.org/name")
        out = {"owner_type": kind, "kind": kind, "namespace": None, "name": name}
        if kind == "NetworkPolicy" and name and ":" in name:
            out["namespace"], out["name"] = name.split(":", 1)
        elif kind == "NetpolNamespace":
            # the namespace's default deny, shared by all its NetworkPolicies
            out.update(kind="NetworkPolicy", namespace=name, name=None)
        elif kind == "EgressFirewall":
            out.update(namespace=name, name="default")
        return out

    def describe_acl(self, acl: dict) -> dict:
        return {"name": acl["name"], "uuid": acl["_uuid"], "action": acl["action"],
                "tier": acl.get("tier", 0), "priority": acl["priority"],
                "direction": acl["direction"], "match": acl["match"],
                "log": acl.get("log") is True, "severity": acl.get("severity") or None,
                "owner": self.owner(acl)}

    def sample_of(self, acl_name: str) -> dict:
        """The Sample of the (single, non-arp) ACL *acl_name* and its collector."""
        hits = [a for a in self.acls if a["name"] == acl_name and a["sample_new"]]
        hits = [a for a in hits if a["external_ids"].get("type") != "arpAllow"]
        if len(hits) != 1:
            raise LookupError(f"sampled ACL {acl_name}: {len(hits)} rows")
        acl = hits[0]
        sample = self.samples[acl["sample_new"]]
        [coll] = [self.collectors[c] for c in ([sample["collectors"]]
                                                if isinstance(sample["collectors"], str)
                                                else sample["collectors"])]
        return {"acl": acl_name, "acl_uuid": acl["_uuid"], "sample_uuid": sample["_uuid"],
                "sample_new_is_sample_est": acl["sample_new"] == acl["sample_est"],
                "metadata": sample["metadata"], "collector_set_id": coll["set_id"],
                "probability": coll["probability"],
                "sampling_apps": dict(sorted(self.sampling_apps.items()))}

    def resolve_drop(self, spec: dict) -> dict:
        if T.tiered() and spec.get("acl"):
            return self.resolve_tiered_acl_drop(spec)
        dp = self.dp_uuid(spec["datapath"])
        cands = [lf for lf in self.lflows
                 if lf["pipeline"] == spec["pipeline"]
                 and lf["external_ids"].get("stage-name") == spec["stage"]
                 and dp in self.flow_datapaths(lf)]
        acl = None
        if spec.get("acl"):
            acl = self.acl(spec["acl"], spec.get("acl_type"))
            hint = acl["_uuid"][:8]
            cands = [lf for lf in cands if lf["external_ids"].get("stage-hint") == hint]
            # OVN 23.03 compiles a drop ACL on a stateful switch into two flows:
            # reg0[9] (new/untracked connections: drop) and reg0[10] (established
            # connections: ct_commit { ct_mark.blocked = 1; })
            reg = {"new": "reg0[9] == 1", "est": "reg0[10] == 1"}[spec.get("ct") or "new"]
            cands = [lf for lf in cands if lf["match"].startswith(reg)]
        for piece in spec.get("match_has") or []:
            if piece == "1":
                cands = [lf for lf in cands if lf["match"] == "1"]
            elif isinstance(piece, list):   # any of these
                cands = [lf for lf in cands if any(p in lf["match"] for p in piece)]
            else:
                cands = [lf for lf in cands if piece in lf["match"]]
        if spec.get("priority") is not None:
            cands = [lf for lf in cands if lf["priority"] == spec["priority"]]
        if spec.get("highest") and cands:
            top = max(lf["priority"] for lf in cands)
            cands = [lf for lf in cands if lf["priority"] == top]
        if len(cands) != 1:
            raise LookupError(f"drop {spec}: {len(cands)} candidate flows: "
                              + "; ".join(f"{c['priority']} {c['match']}" for c in cands))
        lf = cands[0]
        out = {"datapath": spec["datapath"], "pipeline": spec["pipeline"],
               "table": lf["table_id"], "stage": spec["stage"], "priority": lf["priority"],
               "match": lf["match"], "actions": lf["actions"], "lflow": lf["_uuid"][:8],
               "lflow_uuid": lf["_uuid"], "reason_code": spec["reason_code"]}
        if acl is not None:
            out.update(acl_name=acl["name"], acl_uuid=acl["_uuid"], acl_priority=acl["priority"],
                       acl_direction=acl["direction"], acl_match=acl["match"],
                       acl_action=acl["action"])
        return out

    def resolve_tiered_acl_drop(self, spec: dict) -> dict:
        """OVN ≥ 23.09: the ACL's flow in <stage>_eval (stage-hint = the ACL)
        only sets the verdict bit reg8[17]; the drop itself is the generic
        'reg8[17] == 1' flow of <stage>_action, where the pipeline ends."""
        dp = self.dp_uuid(spec["datapath"])
        acl = self.acl(spec["acl"], spec.get("acl_type"))

        def flows(stage):
            return [lf for lf in self.lflows
                    if lf["pipeline"] == spec["pipeline"]
                    and lf["external_ids"].get("stage-name") == stage
                    and dp in self.flow_datapaths(lf)]
        reg = {"new": "reg0[9] == 1", "est": "reg0[10] == 1"}[spec.get("ct") or "new"]
        evals = [lf for lf in flows(spec["stage"] + "_eval")
                 if lf["external_ids"].get("stage-hint") == acl["_uuid"][:8] and reg in lf["match"]]
        actions = [lf for lf in flows(spec["stage"] + "_action") if lf["match"] == "reg8[17] == 1"]
        if len(evals) != 1 or len(actions) != 1:
            raise LookupError(f"drop {spec}: {len(evals)} eval flows, {len(actions)} action flows")
        ev, lf = evals[0], actions[0]
        return {"datapath": spec["datapath"], "pipeline": spec["pipeline"],
                "table": lf["table_id"], "stage": spec["stage"] + "_action",
                "priority": lf["priority"], "match": lf["match"], "actions": lf["actions"],
                "lflow": lf["_uuid"][:8], "lflow_uuid": lf["_uuid"],
                "reason_code": spec["reason_code"],
                "acl_flow": {"table": ev["table_id"], "stage": spec["stage"] + "_eval",
                             "priority": ev["priority"], "match": ev["match"],
                             "actions": ev["actions"], "lflow": ev["_uuid"][:8],
                             "lflow_uuid": ev["_uuid"]},
                "acl_name": acl["name"], "acl_uuid": acl["_uuid"], "acl_priority": acl["priority"],
                "acl_direction": acl["direction"], "acl_match": acl["match"],
                "acl_action": acl["action"], "acl_tier": acl.get("tier", 0),
                "acl_log": acl.get("log") is True, "owner": self.owner(acl)}

    def flood_ports(self, datapath: str, group: str, inport: str) -> list[str]:
        dp = self.dp_uuid(datapath)
        for mc in self.mc_groups:
            if mc["datapath"] == dp and mc["name"] == group:
                names = [self.port_bindings[p]["logical_port"] for p in mc["ports"]]
                return sorted(n for n in names if n != inport)
        raise LookupError(f"multicast group {group} on {datapath}")

    def port_type(self, lsp_name: str) -> str:
        for r in self.lsps.values():
            if r["name"] == lsp_name:
                return r["type"]
        raise LookupError(lsp_name)

    def lsps_in_port_group(self, pg: str) -> set:
        for r in self.port_groups:
            if r["name"] == pg:
                return {self.lsps[u]["name"] for u in r["ports"]}
        return set()


def resolve_expected(exp: dict | None, db: DB, sc: Scenario) -> dict | None:
    if exp is None:
        return None
    exp = json.loads(json.dumps(exp))
    outs = exp.get("outputs")
    if isinstance(outs, str) and outs.startswith("@flood:"):
        _, dp, group, *flags = outs.split(":")
        ports = db.flood_ports(dp, group, sc.packet.inport)
        # router ports forward no L2 broadcast: their copy ends in the router
        ports = [p for p in ports if db.port_type(p) != "router"]
        if "-acl" in flags:
            # copies to pods under an ingress default deny are dropped by it
            denied = set()
            for ns in T.NAMESPACES:
                denied |= db.lsps_in_port_group(T.default_deny_pg(ns.name, "Ingress"))
            ports = [p for p in ports if p not in denied]
        exp["outputs"] = sorted(ports)
        exp["flood_group"] = {"datapath": dp, "name": group}
    if exp.get("drop"):
        exp["drop"] = db.resolve_drop(exp["drop"])
    if exp.get("acls"):
        exp["acls"] = [db.describe_acl(db.acl_by_action(name, action))
                       for name, action in exp["acls"]]
    if exp.get("samples"):
        exp["samples"] = [db.sample_of(name) for name in exp["samples"]]
    exp.setdefault("transforms", [])
    exp.setdefault("drop", None)
    return exp


# --------------------------------------------------------------------------
# running and recording
# --------------------------------------------------------------------------
class Recorder:
    def __init__(self, sb: OvnSandbox, outdir: Path):
        self.sb = sb
        self.outdir = outdir
        self.failures: list[dict] = []
        self.known_failures: list[dict] = []

    def known_failure(self, sc: "Scenario", argv: list[str]) -> None:
        """Run a command that is known to fail; keep its status and stderr, never its stdout."""
        try:
            self.sb.run(argv, timeout=120)
        except SandboxCommandError as e:
            self.known_failures.append({
                "scenario": sc.name, "description": sc.description, "db_state": sc.state,
                "argv": argv, "status": e.returncode, "explanation": sc.known_failure,
                "stderr_tail": e.stderr.decode("utf-8", "replace").splitlines()[-1:],
                "packet": sc.packet.describe(), "microflow": sc.packet.microflow()})
            return
        self.failures.append({"scenario": sc.name, "argv": argv,
                              "error": "expected to fail but succeeded - record it as a scenario"})

    def record(self, scenario: str, fname: str, argv: list[str], *, stdin_file: str | None = None,
               meta: dict | None = None) -> dict | None:
        data = None
        if stdin_file is not None:
            data = (self.outdir / scenario / stdin_file).read_bytes()
        try:
            out = self.sb.run(argv, input=data, binary=True, timeout=120)
        except SandboxCommandError as e:
            self.failures.append({"scenario": scenario, "file": fname, "argv": argv,
                                  "status": e.returncode,
                                  "stderr": e.stderr.decode("utf-8", "replace")[-2000:]})
            print(f"  !! {scenario}/{fname}: {str(e).splitlines()[-1]}", file=sys.stderr)
            return None
        path = self.outdir / scenario / fname
        path.write_bytes(out)
        entry = {"file": f"{scenario}/{fname}", "argv": argv,
                 "bytes": len(out), "sha256": hashlib.sha256(out).hexdigest()}
        if stdin_file:
            entry["stdin"] = f"{scenario}/{stdin_file}"
        entry.update(meta or {})
        return entry


def resolve_openflow(exp: dict | None, sb) -> dict | None:
    """Fill in what only the running OVS knows (tunnel port numbers)."""
    if exp is None:
        return None
    exp = dict(exp)
    tun = exp.get("tunnel")
    if isinstance(tun, str) and tun.startswith("@tunnel:"):
        n = T.node(tun.split(":", 1)[1])
        names = sb.vsctl("--bare", "--columns=name", "find", "Interface",
                         f'options:remote_ip="{n.encap_ip}"').split()
        assert len(names) == 1, names
        exp["tunnel"] = {"remote_chassis": n.chassis, "remote_hostname": n.name,
                         "remote_ip": n.encap_ip, "interface": names[0],
                         "ofport": sb.ofport(names[0]), "type": "geneve"}
    return exp


def run_scenario(rec: Recorder, sc: Scenario, db: DB, local_ofports: dict) -> dict | None:
    sb = rec.sb
    if sc.known_failure:
        rec.known_failure(sc, ["ovn-trace", "--db", sb.sb_remote, "--detailed", sc.datapath,
                               sc.packet.microflow()])
        return None
    d = rec.outdir / sc.name
    d.mkdir(parents=True)
    (d / GENERATED_MARK).write_text("written by samples/generate.py; deleted on rerun\n")
    flow = sc.packet.microflow()
    base = ["ovn-trace", "--db", sb.sb_remote]
    lb = [f"--lb-dst={sc.lb_dst}"] if sc.lb_dst else []
    commands = []

    def add(entry):
        if entry:
            commands.append(entry)

    for form in ("detailed", "summary", "minimal", "all"):
        argv = [*base, f"--{form}", *lb, sc.datapath, flow]
        add(rec.record(sc.name, f"ovn-trace.{form}.txt", argv,
                       meta={"tool": "ovn-trace", "form": form, "ct": "default",
                             "expected": "expected"}))
    argv = [*base, "--detailed", f"--ovs={sb.bridge_mgmt('br-int')}", *lb, sc.datapath, flow]
    add(rec.record(sc.name, "ovn-trace.ovs.detailed.txt", argv,
                   meta={"tool": "ovn-trace", "form": "detailed", "ovs": True, "ct": "default",
                         "expected": "expected"}))
    if sc.packet.uses_ct:
        ctnew = ["--ct=new"] * CT_PASSES
        key = "expected_ct_new"
        for form in ("detailed", "summary", "minimal"):
            argv = [*base, f"--{form}", *ctnew, *lb, sc.datapath, flow]
            add(rec.record(sc.name, f"ovn-trace.ct-new.{form}.txt", argv,
                           meta={"tool": "ovn-trace", "form": form, "ct": "new", "expected": key}))
        if sc.ct_new_once:
            argv = [*base, "--detailed", "--ct=new", *lb, sc.datapath, flow]
            add(rec.record(sc.name, "ovn-trace.ct-new-once.detailed.txt", argv,
                           meta={"tool": "ovn-trace", "form": "detailed", "ct": "new-once",
                                 "expected": "expected"}))
    ofproto_in = None
    if sc.openflow:
        if sc.ofproto_in_port:
            ofproto_in = sb.ofport(sc.ofproto_in_port)
        else:
            ofproto_in = local_ofports[sc.packet.inport]
        ofl = sc.packet.openflow(ofproto_in)
        ctl = str(sb.ctl_path("ovs-vswitchd"))
        variants = [("ct-new", "trk,new", "expected_openflow")]
        if sc.packet.uses_ct:
            variants.append(("ct-est", "trk,est", "expected_openflow_ct_est"))
        for label, flags, key in variants:
            argv = ["ovs-appctl", "-t", ctl, "ofproto/trace", sc.ofproto_bridge, ofl]
            for _ in range(CT_PASSES if sc.packet.uses_ct else 1):
                argv += ["--ct-next", flags]
            add(rec.record(sc.name, f"ofproto-trace.{label}.txt", argv,
                           meta={"tool": "ofproto/trace", "ct_next": flags, "expected": key}))
        if (d / "ofproto-trace.ct-new.txt").exists():
            dt = ["ovn-detrace", f"--ovnnb={sb.nb_remote}", f"--ovnsb={sb.sb_remote}",
                  f"--ovsdb={sb.ovs_remote}"]
            add(rec.record(sc.name, "ovn-detrace.txt", dt, stdin_file="ofproto-trace.ct-new.txt",
                           meta={"tool": "ovn-detrace", "expected": "expected_openflow"}))
            if sc.detrace_ovs:
                add(rec.record(sc.name, "ovn-detrace.ovs.txt", [*dt, "--ovs"],
                               stdin_file="ofproto-trace.ct-new.txt",
                               meta={"tool": "ovn-detrace", "ovs": True,
                                     "expected": "expected_openflow"}))

    expected = resolve_expected(sc.expected, db, sc)
    if sc.packet.uses_ct:
        expected_ct_new = resolve_expected(sc.expected_ct_new, db, sc) or expected
    else:
        expected_ct_new = None
    src_pod = next((p for p in T.PODS if p.lsp == sc.packet.inport), None)
    entry = {
        "name": sc.name,
        "description": sc.description,
        "db_state": sc.state,
        "db": {"nb": f"db/{sc.state}/nb.db", "sb": f"db/{sc.state}/sb.db"},
        "datapath": sc.datapath,
        "microflow": flow,
        "packet": sc.packet.describe(),
        "source": ({"pod": f"{src_pod.namespace}/{src_pod.name}", "lsp": src_pod.lsp,
                    "node": src_pod.node, "ofport": src_pod.ofport if sc.openflow else None}
                   if src_pod else {"lsp": sc.packet.inport}),
        "lb_dst": sc.lb_dst,
        "openflow_flow": sc.packet.openflow(ofproto_in) if sc.openflow else None,
        "openflow_bridge": sc.ofproto_bridge if sc.openflow else None,
        "commands": commands,
        "expected": expected,
        "expected_ct_new": expected_ct_new,
        "expected_openflow": resolve_openflow(sc.expected_openflow, sb) if sc.openflow else None,
        "expected_openflow_ct_est": resolve_openflow(sc.expected_openflow_ct_est
                                                     or sc.expected_openflow, sb)
        if sc.openflow and sc.packet.uses_ct else None,
        "notes": sc.notes,
    }
    if T.tiered():
        entry["reverse"] = reverse_of(sc.packet)
    _sanity_check(entry, rec.outdir)
    return entry


def reverse_of(packet: Packet) -> dict | None:
    """The reply direction of a pod-to-pod packet (for replaying both ways):
    from the destination pod, addressed like the original (the peer's MAC on
    one switch, the destination node's router port MAC across the router)."""
    src = next((p for p in T.PODS if p.lsp == packet.inport), None)
    dst = next((p for p in T.PODS if packet.dst in (p.ip4, p.ip6)), None)
    if src is None or dst is None or packet.kind not in ("tcp4", "udp4", "tcp6", "udp6"):
        return None
    same_switch = packet.eth_dst == dst.mac
    back = Packet(inport=dst.lsp, eth_src=dst.mac,
                  eth_dst=src.mac if same_switch else T.node(dst.node).rtos_mac,
                  kind=packet.kind, src=packet.dst, dst=packet.src, ttl=64,
                  sport=packet.dport, dport=packet.sport)
    local = T.node(dst.node).local
    return {"datapath": dst.node, "microflow": back.microflow(), "packet": back.describe(),
            "source": {"pod": f"{dst.namespace}/{dst.name}", "lsp": dst.lsp, "node": dst.node,
                       "ofport": dst.ofport if local else None},
            "openflow_flow": back.openflow(dst.ofport) if local else None}


def _sanity_check(entry: dict, outdir: Path) -> None:
    """Warn (never change the expectation) when a recorded detailed trace does not
    mention the lflow the database says drops the packet."""
    for cmd in entry["commands"]:
        if cmd.get("tool") != "ovn-trace" or cmd.get("form") != "detailed" or cmd.get("ovs"):
            continue
        exp = entry.get(cmd["expected"]) or {}
        text = (outdir / cmd["file"]).read_text()
        drop = exp.get("drop")
        if drop and f"uuid {drop['lflow']}" not in text:
            print(f"  ?? {cmd['file']}: expected drop lflow {drop['lflow']} "
                  f"({drop['stage']} {drop['match']}) not in the trace", file=sys.stderr)
        for port in exp.get("outputs") or []:
            if f'/* output to "{port}"' not in text:
                print(f"  ?? {cmd['file']}: no output to expected port {port}", file=sys.stderr)


# --------------------------------------------------------------------------
def tool_versions(sb) -> dict:
    out = {}
    for tool in ("ovn-trace", "ovs-vswitchd", "ovn-northd", "ovn-controller", "ovsdb-server",
                 "ovs-appctl", "ovn-nbctl", "ovn-detrace"):
        try:
            out[tool] = sb.run([tool, "--version"]).strip()
        except SandboxCommandError as e:
            out[tool] = f"error: {e}"
    return out


def topology_summary(ofports: dict, sb) -> dict:
    out = {
        "convention": "ovn-kubernetes (default network controller, shared gateway mode, "
                      "mid-2023 naming: legacy hashed default-deny port group names as in the "
                      "OpenShift guide, owner-based ACL external_ids; EgressFirewall as current "
                      "ovn-kubernetes writes it)" if not T.tiered() else
                      "ovn-kubernetes as of late 2024 (default network controller, shared "
                      "gateway mode): ACL tiers (ANP 1, NetworkPolicy/EgressFirewall/"
                      "multicast/node 2, BANP 3), port groups named HashForOVN of their "
                      "owner ids, NetworkPolicy ACL ids keyed by port-policy-protocol, the "
                      "acl-logging meter on every ACL, hairpin allow ACLs, observability "
                      "sampling (state observability)",
        "cluster_subnets": [T.CLUSTER_V4, T.CLUSTER_V6],
        "service_subnets": [T.SERVICE_V4, T.SERVICE_V6],
        "join_subnets": [T.JOIN_V4, T.JOIN_V6],
        "nodes": [{"name": n.name, "chassis": n.chassis, "hostname": n.name,
                   "local": n.local, "fake_chassis": not n.local, "encap_ip": n.encap_ip,
                   "gateway_router": n.gr if n.gateway else None,
                   "subnets": [n.subnet4, n.subnet6], "router_port": f"rtos-{n.name}",
                   "router_port_mac": n.rtos_mac, "gateway_ips": [n.gw4, n.gw6],
                   "node_ips": [n.node_ip4, n.node_ip6],
                   "management_port": f"k8s-{n.name}",
                   "tunnel_port": None if n.local else f"ovn-{n.chassis[:6]}-0"}
                  for n in T.NODES],
        "pods": [{"namespace": p.namespace, "name": p.name, "lsp": p.lsp, "node": p.node,
                  "mac": p.mac, "ips": [p.ip4, p.ip6], "labels": p.labels,
                  "ofport": ofports.get(p.lsp), "ovs_interface": p.iface if p.lsp in ofports else None}
                 for p in T.PODS],
        "services": [{"namespace": s.namespace, "name": s.name, "load_balancer": s.lb_name,
                      "protocol": s.protocol, "vips": [f"{s.vip4}:{s.port}", f"[{s.vip6}]:{s.port}"],
                      "backends": [f"{T.pod(f'{s.namespace}/{e}').ip4}:{s.target_port}"
                                   for e in s.endpoints]}
                     for s in T.SERVICES],
        "namespaces": [{"name": ns.name, "labels": ns.labels,
                        "acl_logging": ns.acl_logging or None,
                        "address_sets": {"v4": T.ns_address_set_name(ns.name, "v4"),
                                         "v6": T.ns_address_set_name(ns.name, "v6")}}
                       for ns in T.NAMESPACES],
        "network_policies": {k: {**v, "port_group": T.policy_pg(v["namespace"], k)}
                             for k, v in T.NETWORK_POLICIES.items()},
        "default_deny_port_groups": {
            ns: {d: T.default_deny_pg(ns, d) for d in ("Ingress", "Egress")}
            for ns in sorted({v["namespace"] for v in T.NETWORK_POLICIES.values()})},
        "egress_firewalls": {ns: {"rules": [{"index": i, "type": a, "to": c, "acl": f"EF:{ns}:{i}"}
                                            for i, (a, c) in enumerate(rules)],
                                  "port_group": T.namespace_pg(ns)}
                             for ns, rules in T.EGRESS_FIREWALLS.items()},
        "ovs": {"integration_bridge": "br-int", "underlay_bridge": "breth0",
                "underlay_interface": "eth0", "bridge_mappings": "physnet:breth0",
                "ofports": ofports},
    }
    if T.tiered():
        out["network_policies"] = {k: {**v, "port_group": T.policy_pg(v["namespace"], k),
                                       "stateless": k in T.STATELESS_POLICIES}
                                   for k, v in T.NETWORK_POLICIES.items()}
        out["admin_network_policies"] = {
            name: {"kind": T.admin_kind(banp), **pol, "port_group": T.admin_pg(name, banp),
                   "tier": T.TIER_BANP if banp else T.TIER_ANP,
                   "acls": [{k: a[k] for k in ("name", "priority", "action", "direction",
                                                "match")} for a in T.admin_acls(name, pol, banp)]}
            for name, pol, banp in T.admin_policies()}
    return out


def clean_outputs(out: Path) -> None:
    """Delete what a previous run generated in *out* (only directories it marked)."""
    if not out.is_dir():
        return
    for child in out.iterdir():
        if child.is_dir() and (child / GENERATED_MARK).exists():
            shutil.rmtree(child)
    if (out / "db").exists():
        shutil.rmtree(out / "db")
    if (out / "manifest.json").exists():
        (out / "manifest.json").unlink()


#: what an offline OpenFlow replay of a database state needs (file, argv tail)
OVS_DUMPS = [
    ("br-int.dump-flows.of15.txt", ["ovs-ofctl", "-O", "OpenFlow15", "dump-flows", "br-int"]),
    ("br-int.dump-groups.of15.txt", ["ovs-ofctl", "-O", "OpenFlow15", "dump-groups", "br-int"]),
    ("br-int.dump-meters.of15.txt", ["ovs-ofctl", "-O", "OpenFlow15", "dump-meters", "br-int"]),
    ("br-int.dump-tlv-map.txt", ["ovs-ofctl", "dump-tlv-map", "br-int"]),
    ("br-int.dump-flows.txt", ["ovs-ofctl", "dump-flows", "br-int"]),
    ("breth0.dump-flows.txt", ["ovs-ofctl", "dump-flows", "breth0"]),
    ("ovs-vsctl-show.txt", ["ovs-vsctl", "show"]),
    ("dpif-show.txt", ["ovs-appctl", "dpif/show"]),
]


def save_ovs_state(sb, dest: Path, out: Path) -> dict:
    """conf.db and the OpenFlow tables of the running switch, for replays."""
    dest.mkdir(parents=True, exist_ok=True)
    files = {"conf.db": {"file": str(sb.snapshot(dest, ovs=True)["conf"].relative_to(out)),
                         "argv": ["ovsdb-client", "backup", sb.ovs_remote, "Open_vSwitch"]}}
    # snapshot() wrote nb/sb again beside conf.db: the state's own copies are one level up
    for extra in ("nb.db", "sb.db"):
        (dest / extra).unlink()
    ctl = str(sb.ctl_path("ovs-vswitchd"))
    for fname, argv in OVS_DUMPS:
        if argv[0] == "ovs-appctl":
            argv = [argv[0], "-t", ctl, *argv[1:]]
        elif argv[0] == "ovs-vsctl":
            argv = [argv[0], f"--db={sb.ovs_remote}", *argv[1:]]
        data = sb.run(argv, binary=True)
        (dest / fname).write_bytes(data)
        files[fname] = {"file": str((dest / fname).relative_to(out)), "argv": argv}
    for info in files.values():
        data = (out / info["file"]).read_bytes()
        info.update(bytes=len(data), sha256=hashlib.sha256(data).hexdigest())
    return files


STATE_DESCRIPTIONS = {
    "base": "the topology with NetworkPolicies deny-by-default (default) and allow-dns-only "
            "(restricted), and the EgressFirewall of prod",
    "allow-prod": "base + NetworkPolicy web-allow-prod (default)",
    "admin-policies": "base + the AdminNetworkPolicies default-ingress, protect-prod, "
                      "restricted-no-dns, dns-delegate (tier 1) and the "
                      "BaselineAdminNetworkPolicy default (tier 3), with their acl-logging "
                      "annotations, + the stateless NetworkPolicy stateless-api-ingress (prod)",
    "admin-policies-unlogged": "admin-policies with the acl-logging annotations of the "
                               "(Baseline)AdminNetworkPolicies removed",
    "observability": "base with ovn-kubernetes observability on (Sampling_App, "
                     "Sample_Collector, a Sample on every ACL)",
}


def release_root(release: str) -> Path | None:
    suite = RELEASE_ROOTS[release]
    if suite is None:
        return None
    root = debian_root(suite)
    if root is None:
        raise SystemExit(f"generate.py: no Debian {suite} root for OVN {release}: "
                         f"run tools/build-debian-root {suite}")
    return root


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--keep-sandbox", metavar="DIR",
                    help="run the sandbox in DIR and leave its files there (daemons still stop); "
                         "with a Debian root, DIR must lie inside it")
    ap.add_argument("--release", default="23.03", choices=sorted(RELEASE_ROOTS),
                    help="the OVN release to record: 23.03 (the host's, samples/) or a Debian "
                         "root's (samples/ovn-<release>/)")
    ap.add_argument("--only", nargs="+", metavar="NAME",
                    help="record these scenarios only (and their database states)")
    ap.add_argument("--skip-ovs-state", action="store_true",
                    help="do not save the OpenFlow tables and conf.db of each state")
    args = ap.parse_args(argv)
    release = args.release

    t0 = time.monotonic()
    T.configure(release)
    root = release_root(release)
    out = out_dir(release)
    all_scenarios = scenarios(release)
    names = [s.name for s in all_scenarios]
    assert len(set(names)) == len(names), "duplicate scenario names"
    if args.only:
        unknown = sorted(set(args.only) - set(names))
        if unknown:
            raise SystemExit(f"generate.py: no scenario {', '.join(unknown)}")
        all_scenarios = [s for s in all_scenarios if s.name in args.only]
    clean_outputs(out)
    out.mkdir(exist_ok=True)
    local = [n for n in T.NODES if n.local][0]
    workdir = args.keep_sandbox
    if workdir and Path(workdir).exists():
        shutil.rmtree(workdir)
    states = []
    for s in all_scenarios:
        if s.state not in states:
            states.append(s.state)
    with OvnSandbox(workdir, system_id=local.chassis, hostname=local.name,
                    encap_ip=local.encap_ip, root=root) as sb:
        print(f"sandbox {sb.workdir} up in {time.monotonic() - t0:.1f}s", file=sys.stderr)
        running = sb.ovn_version()
        if not running.startswith(release + "."):
            raise SystemExit(f"generate.py: asked for OVN {release}, the sandbox runs {running}")
        ofports = T.build(sb, states[0])
        print(f"topology built in {time.monotonic() - t0:.1f}s", file=sys.stderr)
        rec = Recorder(sb, out)
        entries = []
        db_states = {}
        previous = None
        for state in states:
            if previous is not None:
                T.apply_state(sb, state, previous)
            previous = state
            snap = sb.snapshot(out / "db" / state)
            db = DB(sb)
            db_states[state] = {
                "nb": str(snap["nb"].relative_to(out)), "sb": str(snap["sb"].relative_to(out)),
                "policies": T.STATE_POLICIES[state],
                "description": STATE_DESCRIPTIONS.get(state, state)}
            if T.tiered():
                db_states[state]["admin_policies"] = (
                    None if state not in T.STATE_ADMIN_POLICIES else
                    {"logged": T.STATE_ADMIN_POLICIES[state],
                     "names": [n for n, _p, _b in T.admin_policies()]})
                db_states[state]["sampling"] = state in T.STATE_SAMPLING
                if not args.skip_ovs_state:
                    db_states[state]["ovs"] = save_ovs_state(sb, out / "db" / state / "ovs",
                                                             out)
            for sc in all_scenarios:
                if sc.state != state:
                    continue
                print(f"  {sc.name}", file=sys.stderr)
                entry = run_scenario(rec, sc, db, ofports)
                if entry is not None:
                    entries.append(entry)
        versions = tool_versions(sb)
        summary = topology_summary(ofports, sb)
        sandbox_dir = sb.inside(sb.workdir)
    manifest = {
        "generator": "samples/generate.py",
        "description": "Real outputs of ovn-trace, ovs-appctl ofproto/trace and ovn-detrace "
                       "recorded from a private OVN sandbox (ovnparse.sandbox) running an "
                       "ovn-kubernetes-like topology. Files hold exactly what the tool printed on "
                       "stdout. 'expected' values come from the topology and the databases, not "
                       "from the traces.",
        "paths": f"relative to {out.relative_to(ROOT)}/",
        "sandbox_dir": str(sandbox_dir),
        "sandbox_layout": "argv hold the sandbox's paths: <sandbox_dir>/run/{nb,sb,db}.sock "
                          "(NB, SB, Open_vSwitch), <sandbox_dir>/run/br-int.mgmt, "
                          "<sandbox_dir>/run/ovs-vswitchd.ctl; serve db/<state>/*.db "
                          "(OvnSandbox.serve_files) to rerun the ovn-trace commands",
        "verdicts": {
            "delivered": "output to exactly one logical port (a packet OVN answers itself, ARP "
                         "responder / ICMP echo reply, is delivered to the port the answer goes to)",
            "flooded": "output to two or more logical ports",
            "dropped": "the packet is dropped (error replies such as ICMP time exceeded or a TCP "
                       "reset are reported in 'reply' beside the drop)",
            "controller": "punted to ovn-controller (ARP/ND resolution, put_arp, ...)",
            "incomplete": "the text ends before the trace does",
            "error": "the tool itself failed",
        },
        "expected_fields": {
            "expected": "for the default --ct (trk,est) ovn-trace runs and ovn-trace.*.txt",
            "expected_ct_new": "for the --ct=new runs (ovn-trace.ct-new.*.txt)",
            "expected_openflow": "for ofproto-trace.ct-new.txt and the ovn-detrace outputs",
            "expected_openflow_ct_est": "for ofproto-trace.ct-est.txt",
            "outputs": "logical ports the packet (or its copies) is output to, sorted",
            "datapaths": "logical datapaths visited in order; ingress+egress of one datapath "
                         "in a row is one visit",
            "drop": "Logical_Flow that drops: datapath, pipeline, table (table_id), stage "
                    "(external_ids:stage-name), priority, match, lflow (first 8 hex of _uuid), "
                    "reason_code (acl | port-security | no-route | no-match | ttl | reject | "
                    "other), acl_name for ACLs",
            "transforms": "address rewrites: lb (VIP:port -> backend:port), snat",
            "acl_logs": "ACL log() lines ovn-trace prints as 'LOG: ACL name=..., "
                        "verdict=..., severity=...' (every form)",
            "reply / answered_by / learned / resolution": "what OVN generates instead of or "
                                                          "besides the packet",
            "observability": "--summary and --minimal print no stage names, tables, priorities "
                             "or lflow uuids, and --minimal no datapath names: the drop details "
                             "and datapaths are only visible in --detailed / --all output",
            **({"drop (ACL, OVN with tiers)":
                "the ACL's own flow in <stage>_eval only sets the verdict register "
                "(reg8[17] = 1); the pipeline ends in the generic 'reg8[17] == 1' flow of "
                "<stage>_action, which 'drop' names; 'acl_flow' is the _eval flow (stage-hint "
                "= the ACL), acl_tier/acl_log/owner the ACL's tier, logging and the "
                "Kubernetes object behind it (owner_type as ovn-kubernetes writes it; "
                "NetpolNamespace = the namespace's default deny, kind NetworkPolicy)",
                "acls": "the ACLs the packet meets, in order of evaluation (tier 1 before "
                        "2 before 3), as the policies say it must: name, uuid, action, tier, "
                        "owner",
                "samples": "ACL sampling: the Sample row of each named ACL (metadata = "
                           "observation point id), its collector set, and the Sampling_App "
                           "ids (observation domains) of acl-new / acl-est / drop",
                "reverse": "(scenario) the reply direction of a pod-to-pod packet: source, "
                           "datapath, microflow and OpenFlow flow, for replays; no output "
                           "was recorded for it"}
               if T.tiered() else {}),
        },
        "versions": versions,
        **({"release": release,
            "subset": bool(args.only),
            "root": None if root is None else {
                "suite": RELEASE_ROOTS[release], "path": str(root),
                "packages": debian_root_packages(root),
                "note": "every tool ran in this Debian root through chroot; the paths in "
                        "argv are the root's"}}
           if release != "23.03" else {}),
        "db_states": db_states,
        "topology": summary,
        "scenarios": entries,
        "known_tool_failures": rec.known_failures,
        "failures": rec.failures,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=False) + "\n")
    total = sum(f.stat().st_size for f in out.rglob("*") if f.is_file()
                if release != "23.03" or not f.relative_to(HERE).parts[0].startswith("ovn-"))
    print(f"{len(entries)} scenarios, {sum(len(e['commands']) for e in entries)} outputs, "
          f"{len(rec.failures)} failures, samples/ is {total / 1e6:.1f} MB, "
          f"{time.monotonic() - t0:.1f}s", file=sys.stderr)
    return 1 if rec.failures else 0


if __name__ == "__main__":
    sys.exit(main())
