"""`ovnparse trace` by names with the source node's dumps: each ovn-trace run is
followed by ovnkube-trace's ofproto/trace for the same packet on the switch
replayed from samples/ovn-25.03's dumps (OVS 3.5 and OVN 25.03 of the Debian 13
root), annotated with ovn-detrace's notes from the saved databases.

Expected verdicts: the manifest's `expected_openflow` (ofproto/trace resuming
conntrack as new, which is also what it does without --ct-next, as
ovnkube-trace runs it) for the way there; the way back as in
test_replay_names.py (the ACLs and port groups of the state deny nothing back).
"""

from __future__ import annotations

import json
import os

import pytest
from conftest import SAMPLES, process_alive

from ovnparse.cli import main
from ovnparse.commands import trace as trace_cmd

pytestmark = pytest.mark.debian_root

BASE = SAMPLES / "ovn-25.03"
MANIFEST = json.loads((BASE / "manifest.json").read_text())
SCENARIOS = {s["name"]: s for s in MANIFEST["scenarios"]}

BY_NAMES = {
    "pod-to-pod-same-node": ["--src", "prod/test-6459", "--dst", "prod/api-0", "--tcp",
                             "--dst-port", "8080"],
    "acl-ingress-default-deny": ["--src", "prod/test-6459", "--dst", "default/web", "--tcp"],
    "acl-egress-deny": ["--src", "restricted/locked-0", "--dst", "prod/api-0", "--tcp",
                        "--dst-port", "8080"],
    "egress-firewall-deny": ["--src", "prod/test-6459", "--dst-ip", "8.8.8.8", "--tcp",
                             "--dst-port", "443"],
}


def _argv(name: str, root, ovn_trace: str) -> list[str]:
    sc = SCENARIOS[name]
    st = MANIFEST["db_states"][sc["db_state"]]
    ovs = {k: str(BASE / v["file"]) for k, v in st["ovs"].items()}
    return ["trace", "--json", "--ovn-trace", ovn_trace, "--ovn-release", "25.03",
            "--nb", str(BASE / st["nb"]), "--sb", str(BASE / st["sb"]),
            "--flows", ovs["br-int.dump-flows.of15.txt"],
            "--groups", ovs["br-int.dump-groups.of15.txt"],
            "--meters", ovs["br-int.dump-meters.of15.txt"],
            "--tlv", ovs["br-int.dump-tlv-map.txt"], "--ovsdb", ovs["conf.db"],
            "--dpif-show", ovs["dpif-show.txt"],
            "--bridge-flows", f"breth0={ovs['breth0.dump-flows.txt']}",
            "--ovs-root", str(root), *BY_NAMES[name]]


@pytest.mark.parametrize("name", sorted(BY_NAMES))
def test_both_sides_by_names(name, trixie_root, ovn_trace_2503, capsys):
    trace_cmd.LAST_RUN.clear()
    status = main(_argv(name, trixie_root, ovn_trace_2503))
    out, err = capsys.readouterr()
    assert status == 0, err
    pids = trace_cmd.LAST_RUN["pids"]
    assert any(k.startswith("openflow-ovs-vswitchd") for k in pids)
    assert not [p for p in pids.values() if process_alive(p)]
    assert not os.path.exists(trace_cmd.LAST_RUN["workdir"])
    objs = json.loads(out)
    runs, total = objs[:-1], objs[-1]
    sc = SCENARIOS[name]
    # ovn-trace, then its OpenFlow trace, per direction (the ends are on ovn-worker)
    if "--dst-ip" in BY_NAMES[name]:
        assert [(r["tool"], r["direction"]) for r in runs] == [
            ("ovn-trace", "pod to IP"), ("ovn-detrace", "pod to IP")]
    else:
        assert [(r["tool"], r["direction"]) for r in runs] == [
            ("ovn-trace", "source pod to destination pod"),
            ("ovn-detrace", "source pod to destination pod"),
            ("ovn-trace", "destination pod to source pod"),
            ("ovn-detrace", "destination pod to source pod")]
        assert runs[3]["verdict"] == "delivered"
    assert [c["tool"] for c in total["checks"]] == [
        "ofproto/trace" if r["tool"] == "ovn-detrace" else "ovn-trace" for r in runs]
    assert runs[0]["verdict"] == sc["expected"]["verdict"]
    of = runs[1]
    assert of["format"] == "ovn-detrace"
    assert of["verdict"] == sc["expected_openflow"]["verdict"]
    assert of["flow"].startswith("in_port=v") and of["flow"].endswith("_src=12345")
    if "output_ofport" in sc["expected_openflow"]:
        assert total["checks"][1]["result"] == "success"
    else:
        assert total["checks"][1]["result"] == "failure"
    assert any("not in a dump" in w["message"] for w in of["warnings"])


def test_a_pod_of_another_node_has_no_openflow_trace(trixie_root, ovn_trace_2503, capsys):
    argv = _argv("pod-to-pod-same-node", trixie_root, ovn_trace_2503)
    i = argv.index("prod/api-0")
    argv[i] = "openshift-dns/dns-default-467qw"  # on ovn-worker2: not these dumps' node
    assert main(argv) == 0
    objs = json.loads(capsys.readouterr().out)
    assert [r["tool"] for r in objs[:-1]] == ["ovn-trace", "ovn-detrace", "ovn-trace"]
    assert any("they are another node's" in w["message"] for w in objs[-1]["warnings"])


def test_a_dump_that_does_not_load_stops_the_switch(trixie_root, ovn_trace_2503, tmp_path,
                                                    capsys):
    """A flow ovs-ofctl refuses: one line naming it, exit 2, the switch stopped."""
    argv = _argv("pod-to-pod-same-node", trixie_root, ovn_trace_2503)
    bad = tmp_path / "flows.txt"
    bad.write_text(" cookie=0x1, table=0, priority=1,nosuchfield=1 actions=drop\n")
    argv[argv.index("--flows") + 1] = str(bad)
    trace_cmd.LAST_RUN.clear()
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 + err.count("warning:"), err
    assert "loading the dumps" in err and "nosuchfield" in err
    pids = trace_cmd.LAST_RUN["pids"]
    assert any(k.startswith("openflow-") for k in pids)
    assert not [p for p in pids.values() if process_alive(p)]


@pytest.mark.parametrize("sig,status", [(2, 130), (15, 143)])
def test_interrupted_with_the_switch_running(trixie_root, tmp_path, sig, status):
    """Ctrl-C / SIGTERM while ovn-trace runs (a stand-in that sleeps): the replayed
    switch (ovsdb-server, ovs-vswitchd) and the Southbound's servers are stopped."""
    import re

    from conftest import interrupt_when_started, sleeping_ovn_trace, wait_gone
    fake, marker = sleeping_ovn_trace(tmp_path, version="25.03.0")
    argv = _argv("pod-to-pod-same-node", trixie_root, str(fake))
    status_got, err, sleeper = interrupt_when_started([*argv, "-v"], marker, sig, timeout=60)
    assert status_got == status, err
    pids = [int(p) for p in re.findall(r"started [\w-]+(?: \(\w+\))? pid (\d+)", err)]
    assert len(pids) == 2 + 4, err  # the Southbound's two servers; the switch's four
    dirs = re.findall(r"private directory (\S+)", err)
    wait_gone(sleeper)
    assert not [p for p in pids + [sleeper] if process_alive(p)]
    assert len(dirs) == 2 and not [d for d in dirs if os.path.exists(d)]
