"""`ovnparse trace` by Kubernetes names: the real ovn-trace replayed for every
pod-to-pod, pod-to-service and pod-to-IP scenario of the samples, both ways.

The way there must give what the manifest expects of the scenario (its
verdict, outputs, drop point, ACL; `expected_ct_new` for the run toward a
Service, which ovnkube-trace makes with --ct=new).  ovnkube-trace's microflows
differ from the scenarios' in two ways that change neither: eth.dst is always
the node's router port (the scenarios use the pod's MAC on the same node, so
the path differs and is not compared), and the source port is 52888.

The way back has no manifest entry: its expectations are written here from a
reading of the databases' ACLs and port groups (samples/db/*/nb.db): the only
drop ACLs are the default denies of NetworkPolicies (ingress: default's port
group holds default/web and web-2; restricted's is empty; egress: restricted's
holds restricted/locked-0, default's is empty), EgressFirewall prod rule 0 (to
8.8.8.8) and multicast, so every way back here is delivered to the source.
"""

from __future__ import annotations

import json

import pytest
from conftest import SAMPLES

from ovnparse.cli import main
from ovnparse.sandbox import missing_tools

NEEDED = ("ovsdb-tool", "ovsdb-server", "ovsdb-client", "ovn-sbctl", "ovn-trace")
pytestmark = pytest.mark.skipif(bool(missing_tools(NEEDED)),
                                reason=f"OVS/OVN not installed: {missing_tools(NEEDED)}")

MANIFEST = json.loads((SAMPLES / "manifest.json").read_text())
SCENARIOS = {s["name"]: s for s in MANIFEST["scenarios"]}

#: scenario -> the ovnkube-trace options that name its packet, and where the
#: way back is delivered (None: no way back is traced)
BY_NAMES = {
    "pod-to-pod-same-node": (["--src", "prod/test-6459", "--dst", "prod/api-0", "--tcp",
                              "--dst-port", "8080"], "prod_test-6459"),
    "pod-to-pod-cross-node": (["-src", "test-6459", "-src-namespace", "prod", "-dst",
                               "dns-default-467qw", "-dst-namespace", "openshift-dns", "-udp",
                               "-dst-port", "5353"], "prod_test-6459"),
    "ipv6-pod-to-pod": (["--src", "prod/test-6459", "--dst",
                         "openshift-dns/dns-default-467qw", "--udp", "--dst-port=5353",
                         "--ipv6"], "prod_test-6459"),
    "acl-ingress-default-deny": (["--src", "prod/test-6459", "--dst", "default/web",
                                  "--tcp"], "prod_test-6459"),
    "acl-egress-deny": (["--src", "restricted/locked-0", "--dst", "prod/api-0", "--tcp",
                         "--dst-port", "8080"], "restricted_locked-0"),
    "acl-egress-allowed-dns": (["--src", "restricted/locked-0", "--dst",
                                "openshift-dns/dns-default-6prvx", "--udp", "-dst-port=5353"],
                               "restricted_locked-0"),
    "acl-ingress-allowed-after-web-allow-prod": (["--src", "prod/test-6459", "--dst", "web",
                                                  "--tcp"], "prod_test-6459"),
    "acl-ingress-default-deny-other-namespace-pod": (
        ["--src", "openshift-dns/dns-default-6prvx", "--dst", "default/web", "--tcp"],
        "openshift-dns_dns-default-6prvx"),
    "service-clusterip-dns": (["--src", "prod/test-6459", "--service",
                               "openshift-dns/dns-default", "--udp", "--dst-port", "53",
                               "--lb-dst", "10.244.2.3:5353"], "prod_test-6459"),
    "service-clusterip-web": (["--src", "prod/test-6459", "--service", "default/web",
                               "--tcp"], "prod_test-6459"),
    "service-no-endpoints-reject": (["--src", "prod/test-6459", "--service",
                                     "default/no-endpoints", "--tcp"], None),
    "egress-firewall-deny": (["--src", "prod/test-6459", "--dst-ip", "8.8.8.8", "--tcp",
                              "--dst-port", "443"], None),
    "north-south-snat": (["--src", "prod/test-6459", "--dst-ip", "1.1.1.1", "--tcp",
                          "--dst-port", "443"], None),
    "north-south-ipv6-nd-resolve": (["--src", "prod/test-6459", "--dst-ip",
                                     "2001:4860:4860::8888", "--tcp", "--dst-port", "443",
                                     "-addr-family", "ip6"], None),
    "no-route": (["--src", "kube-system/coredns-787d4945fb-l85r5", "--dst-ip", "1.1.1.1",
                  "--tcp", "--dst-port", "443"], None),
}
DROP_FIELDS = ("datapath", "pipeline", "stage", "priority", "match", "lflow", "reason_code")


@pytest.fixture(autouse=True)
def nothing_left_running(trace_leaves_nothing):
    """Every test here: the daemons `trace` started are gone (conftest)."""


def _ct_new_as_recorded(name: str) -> list[str]:
    """The --ct options of the scenario's recorded --ct=new runs (one per ct_next)."""
    argv = next(c["argv"] for c in SCENARIOS[name]["commands"]
                if c["tool"] == "ovn-trace" and c.get("ct") == "new")
    return [a.replace("--ct=", "--ct") for a in argv if a.startswith("--ct=")]


def _run(name: str, capsys, *extra: str) -> list[dict]:
    sc = SCENARIOS[name]
    if "--service" in BY_NAMES[name][0] and not extra:
        # expected_ct_new holds the runs with --ct=new for every ct_next
        extra = tuple(x for c in _ct_new_as_recorded(name) for x in ("--ct", c[4:]))
    argv = ["trace", "--nb", str(SAMPLES / sc["db"]["nb"]), "--sb", str(SAMPLES / sc["db"]["sb"]),
            "--json", *BY_NAMES[name][0], *extra]
    status = main(argv)
    out, err = capsys.readouterr()
    assert status == 0, err
    return json.loads(out)


def _check(obj: dict, expected: dict) -> None:
    assert obj["verdict"] == expected["verdict"]
    assert sorted(obj["outputs"]) == expected["outputs"]
    want = expected.get("drop")
    if want is None:
        assert obj["drop"] is None
        return
    got = obj["drop"]
    assert {k: got[k] for k in DROP_FIELDS} == {k: want[k] for k in DROP_FIELDS}
    if want.get("acl_name"):
        # the ACL (from the Northbound) and its NetworkPolicy / EgressFirewall owner
        assert got["acl"]["name"] == want["acl_name"]
        kind, namespace = want["acl_name"].split(":")[:2]
        assert got["owner"]["namespace"] == namespace
        assert got["owner"]["kind"] in (("EgressFirewall",) if kind == "EF" else
                                        ("NetworkPolicy", "NetpolNamespace"))


@pytest.mark.parametrize("name", sorted(BY_NAMES))
def test_by_names_gives_the_manifest_answer_both_ways(name, capsys):
    sc = SCENARIOS[name]
    objs = _run(name, capsys)
    runs, total = objs[:-1], objs[-1]
    back_to = BY_NAMES[name][1]
    assert total["tool"] == "ovnkube-trace" and total["format"] == "ovnkube-trace"
    assert [c["direction"] for c in total["checks"]] == [r["direction"] for r in runs]
    assert all(r["tool"] == "ovn-trace" for r in runs)
    by_dir = {r["direction"]: r for r in runs}
    if "--service" in BY_NAMES[name][0]:
        _check(by_dir["source pod to service clusterIP"], sc["expected_ct_new"])
    if "--dst-ip" in BY_NAMES[name][0]:
        assert list(by_dir) == ["pod to IP"]
        _check(by_dir["pod to IP"], sc["expected"])
        return
    if back_to is None:  # a Service without endpoints
        assert list(by_dir) == ["source pod to service clusterIP"]
        assert total["verdict"] == "dropped"
        assert any("no endpoints" in w["message"] for w in total["warnings"])
        return
    fwd, back = by_dir["source pod to destination pod"], by_dir["destination pod to source pod"]
    if "--service" not in BY_NAMES[name][0]:
        _check(fwd, sc["expected"])
    else:  # to the endpoint itself: delivered (no policy of its namespace refuses it)
        assert fwd["verdict"] == "delivered" and fwd["outputs"] == sc["expected"]["outputs"]
    assert back["verdict"] == "delivered" and back["outputs"] == [back_to]
    assert back["drop"] is None


def test_summary_in_ovnkube_trace_words(capsys):
    sc = SCENARIOS["acl-ingress-default-deny"]
    status = main(["trace", "--nb", str(SAMPLES / sc["db"]["nb"]), "--sb",
                   str(SAMPLES / sc["db"]["sb"]), *BY_NAMES["acl-ingress-default-deny"][0]])
    out = capsys.readouterr().out
    assert status == 0
    lines = out.splitlines()
    assert lines[-2:] == [
        "ovn-trace source pod to destination pod indicates failure from test-6459 to web",
        "ovn-trace destination pod to source pod indicates success from web to test-6459"]
    assert "owner:    the default-deny of NetworkPolicies in namespace default (Ingress)" in out


def test_no_endpoints_says_why_in_text(capsys):
    sc = SCENARIOS["service-no-endpoints-reject"]
    main(["trace", "--nb", str(SAMPLES / sc["db"]["nb"]), "--sb", str(SAMPLES / sc["db"]["sb"]),
          *BY_NAMES["service-no-endpoints-reject"][0]])
    out = capsys.readouterr().out
    assert ("note: service default/no-endpoints has no endpoints: its load balancer "
            "(Service_default/no-endpoints_TCP_cluster) has no backend for "
            "10.96.200.200:80/tcp; traced from the source to the ClusterIP only, not back"
            ) in out
    assert out.splitlines()[-1] == ("ovn-trace source pod to service clusterIP indicates "
                                    "failure from test-6459 to no-endpoints")


def test_service_with_ovnkube_traces_single_ct_new(capsys):
    """ovnkube-trace gives ovn-trace one --ct=new: the ct_next of the destination's
    egress pipeline gets ovn-trace's default (trk|est), and there the default deny
    of namespace default drops what web-allow-prod lets in when the connection is new
    (the recorded --ct=new run above delivers it).  The note says so."""
    objs = _run("service-clusterip-web", capsys, "--whole-db")
    to_svc = objs[0]
    assert to_svc["direction"] == "source pod to service clusterIP"
    assert [a for a in to_svc["argv"] if a.startswith("--ct")] == ["--ct=new"]
    assert to_svc["verdict"] == "dropped" and to_svc["drop"]["acl"]["name"] == \
        "NP:default:Ingress"
    assert any("--ct=new once" in w["message"] for w in objs[-1]["warnings"])
