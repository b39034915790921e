"""Kubernetes names to ovnkube-trace's microflows, from the saved Northbound alone
(no daemon).  The expected microflows are ovnkube-trace's format strings
(go-controller/cmd/ovnkube-trace/ovnkube-trace.go, runOvnTraceToPod /
runOvnTraceToService / runOvnTraceToIP) filled in by hand with the topology the
samples' manifest records (pods' MACs and IPs, rtos-<node>'s MAC)."""

from __future__ import annotations

import json

import pytest
from conftest import SAMPLES

from ovnparse.cli import main
from ovnparse.k8s import Cluster, Request, ResolveError, plan
from ovnparse.k8s.plan import FORWARD, REVERSE, TO_IP, TO_SERVICE

MANIFEST = json.loads((SAMPLES / "manifest.json").read_text())
TOPO = MANIFEST["topology"]
PODS = {f"{p['namespace']}/{p['name']}": p for p in TOPO["pods"]}
RTOS = {n["name"]: n["router_port_mac"] for n in TOPO["nodes"]}
BASE_NB = str(SAMPLES / "db/base/nb.db")


@pytest.fixture(scope="module")
def cluster() -> Cluster:
    return Cluster.from_nb(BASE_NB)


def _flow(src: str, dst_ip: str, proto: str, port: int, fam: str = "ip4",
          sport: int = 52888) -> str:
    p = PODS[src]
    ip = p["ips"][0 if fam == "ip4" else 1]
    return (f'inport=="{p["lsp"]}" && eth.src=={p["mac"]} && eth.dst=={RTOS[p["node"]]} && '
            f"{fam}.src=={ip} && {fam}.dst=={dst_ip} && ip.ttl==64 && {proto}.dst=={port} && "
            f"{proto}.src=={sport}")


def test_every_pod_of_the_topology_is_found(cluster):
    for key, p in PODS.items():
        pod = cluster.pod(key)
        assert (pod.lsp, pod.node, pod.mac, pod.ips) == (p["lsp"], p["node"], p["mac"], p["ips"])


def test_every_service_and_its_vips(cluster):
    for s in TOPO["services"]:
        svc = cluster.service(f"{s['namespace']}/{s['name']}")
        assert s["load_balancer"] in svc.load_balancers
        v4 = s["vips"][0].rsplit(":", 1)
        backends = svc.vips[(s["protocol"].lower(), v4[0], int(v4[1]))]
        assert [f"{ip}:{port}" for ip, port in backends] == s["backends"]


def test_pod_to_pod_both_directions(cluster):
    p = plan(cluster, Request(src="prod/test-6459", dst="prod/api-0", dst_port=8080))
    fwd, rev = p.legs
    assert (fwd.direction, fwd.datapath, fwd.ct, fwd.lb_dst) == (FORWARD, "ovn-worker", (), None)
    assert fwd.microflow == _flow("prod/test-6459", "10.244.1.5", "tcp", 8080)
    assert fwd.success_ports == ["prod_api-0"]
    assert (rev.direction, rev.src_name, rev.dst_name) == (REVERSE, "api-0", "test-6459")
    # the reverse run keeps -dst-port (ovnkube-trace passes *dstPort both ways)
    assert rev.microflow == _flow("prod/api-0", "10.244.1.4", "tcp", 8080)


def test_namespace_options_and_defaults(cluster):
    p = plan(cluster, Request(src="test-6459", src_namespace="prod", dst="web"))
    assert p.legs[0].microflow == _flow("prod/test-6459", "10.244.1.3", "tcp", 80)


def test_ipv6_and_udp_cross_node(cluster):
    p = plan(cluster, Request(src="prod/test-6459", dst="openshift-dns/dns-default-467qw",
                              protocol="udp", dst_port=5353, family="ip6", src_port=7))
    assert p.legs[0].microflow == _flow("prod/test-6459", "fd00:10:244:2::3", "udp", 5353,
                                        "ip6", 7)
    assert p.legs[1].datapath == "ovn-worker2"
    assert p.legs[1].microflow == _flow("openshift-dns/dns-default-467qw", "fd00:10:244:1::4",
                                        "udp", 5353, "ip6", 7)


def test_service_runs_to_the_clusterip_then_to_its_first_endpoint(cluster):
    p = plan(cluster, Request(src="prod/test-6459", service="default/web"))
    svc, fwd, rev = p.legs
    assert svc.direction == TO_SERVICE and svc.ct == ("new",)
    assert svc.lb_dst == "10.244.1.3:80"  # the load balancer's first backend
    assert svc.microflow == _flow("prod/test-6459", "10.96.47.12", "tcp", 80)
    assert svc.success_ports == ["default_web"]
    assert fwd.microflow == _flow("prod/test-6459", "10.244.1.3", "tcp", 80)
    assert rev.microflow == _flow("default/web", "10.244.1.4", "tcp", 80)


def test_udp_service_with_a_chosen_endpoint_and_ct(cluster):
    p = plan(cluster, Request(src="prod/test-6459", service="openshift-dns/dns-default",
                              protocol="udp", dst_port=53, lb_dst="10.244.2.3:5353",
                              ct=("trk,new",)))
    assert p.legs[0].lb_dst == "10.244.2.3:5353"
    assert all(leg.ct == ("trk,new",) for leg in p.legs)
    assert p.legs[1].success_ports == ["openshift-dns_dns-default-467qw"]


def test_service_without_endpoints_is_one_direction(cluster):
    p = plan(cluster, Request(src="prod/test-6459", service="default/no-endpoints"))
    assert [leg.direction for leg in p.legs] == [TO_SERVICE]
    assert p.legs[0].lb_dst is None and p.legs[0].hopeless
    assert "no endpoints" in p.notes[0] and "Service_default/no-endpoints_TCP_cluster" in \
        p.notes[0]


def test_to_an_ip(cluster):
    p = plan(cluster, Request(src="prod/test-6459", dst_ip="8.8.8.8", dst_port=443))
    (leg,) = p.legs
    assert (leg.direction, leg.printed) == (TO_IP, "ovn-trace from pod to IP")
    assert leg.microflow == _flow("prod/test-6459", "8.8.8.8", "tcp", 443)


@pytest.mark.parametrize("req,message", [
    (Request(src="prod/test-649", dst="prod/api-0"),
     "no pod prod/test-649 in .*nb.db; close matches: prod/test-6459"),
    (Request(src="prod/test-6459", dst="api-0"),
     "no pod default/api-0 .*close matches: prod/api-0"),
    (Request(src="prod/test-6459", service="prod/web"),
     "no service prod/web .*k8s.ovn.org/owner=prod/web.*close matches: default/web"),
    (Request(src="prod/test-6459", service="default/web", dst_port=8080),
     "service default/web has no tcp port 8080 \\(it has 80; --dst-port\\)"),
    (Request(src="prod/test-6459", service="default/web", protocol="udp"),
     "service default/web has no udp ip4 ClusterIP \\(it has tcp/ip4, tcp/ip6"),
    (Request(src="prod/test-6459", service="default/web", lb_dst="10.244.1.9:80"),
     "--lb-dst 10.244.1.9:80 is not a backend of service default/web"),
    (Request(src="prod/test-6459", dst_ip="8.8.8.8", family="ip6"),
     "address family .*do not match"),
    (Request(src="prod/test-6459", dst_ip="8.8.8.300"), "cannot parse IP address"),
    (Request(src="prod/test-6459", dst="prod/api-0", service="default/web"),
     "exactly one of --dst, --service or --dst-ip"),
])
def test_unknown_or_wrong_names_are_one_line(cluster, req, message):
    with pytest.raises(ResolveError, match=message) as info:
        plan(cluster, req)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("argv,message", [
    (["--src", "prod/test-6459", "--dst", "prod/api-0", "--tcp"], "--src needs --nb"),
    (["--nb", BASE_NB, "--src", "prod/test-6459", "--dst", "prod/api-0"],
     "either --tcp or --udp"),
    (["--nb", BASE_NB, "--src", "prod/test-6459", "--dst", "prod/api-0", "--tcp",
      "ovn-worker", "inport == \"x\""], "give no DATAPATH or MICROFLOW"),
    (["--nb", BASE_NB, "-src", "nosuch", "-dst", "prod/api-0", "-tcp"],
     "no pod default/nosuch"),
    ([], "give a MICROFLOW, or --src"),
    (["--tcp", "inport == \"x\""], "--tcp/--udp goes with --src"),
])
def test_command_line_errors(capsys, argv, message):
    status = main(["trace", "--sb", str(SAMPLES / "db/base/sb.db"), *argv])
    err = capsys.readouterr().err
    assert status == 2, err
    assert message in err and len(err.strip().splitlines()) == 1, err


def test_both_tcp_and_udp_are_refused(capsys):
    with pytest.raises(SystemExit) as info:
        main(["trace", "--sb", "x", "--nb", BASE_NB, "--src", "a/b", "--dst", "c/d",
              "-tcp", "-udp"])
    assert info.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_host_network_ends_go_through_the_management_port(cluster):
    """node/NAME: ovnkube-trace's host-networked pod, traced from/to k8s-NAME (its
    MAC and address from that port of the Northbound)."""
    mgmt = TOPO["nodes"][0]
    p = plan(cluster, Request(src="node/ovn-worker", dst="prod/api-0", dst_port=8080))
    fwd, rev = p.legs
    assert fwd.microflow.startswith('inport=="k8s-ovn-worker" && eth.src==0a:58:0a:f4:01:02 && '
                                    f'eth.dst=={mgmt["router_port_mac"]} && '
                                    "ip4.src==10.244.1.2 && ip4.dst==10.244.1.5")
    # back to a host-networked pod: out of the node's management port (or its gateway)
    assert rev.success_ports == ["k8s-ovn-worker"] and rev.success_types == ["localnet"]
    with pytest.raises(ResolveError, match="both ends cannot be on the host network"):
        plan(cluster, Request(src="node/ovn-worker", dst="node/ovn-worker2"))
    with pytest.raises(ResolveError, match="cannot be on the host network when tracing to"):
        plan(cluster, Request(src="node/ovn-worker", dst_ip="8.8.8.8"))
