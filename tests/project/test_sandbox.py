"""The private OVN sandbox: real daemons, a tiny topology, real traces, a clean stop."""

from __future__ import annotations

import os
import subprocess

import pytest

from ovnparse.sandbox import OvnSandbox, SandboxCommandError, missing_tools

from conftest import process_alive

pytestmark = [
    pytest.mark.sandbox,
    pytest.mark.skipif(bool(missing_tools()), reason=f"OVS/OVN not installed: {missing_tools()}"),
]

P1 = ("p1", "0a:00:00:00:00:01", "10.0.0.1")
P2 = ("p2", "0a:00:00:00:00:02", "10.0.0.2")


def _flow(dport: int) -> str:
    return (f'inport == "p1" && eth.src == {P1[1]} && eth.dst == {P2[1]} && '
            f"ip4.src == {P1[2]} && ip4.dst == {P2[2]} && ip.ttl == 64 && "
            f"tcp && tcp.src == 40000 && tcp.dst == {dport}")


@pytest.fixture(scope="module")
def box():
    sb = OvnSandbox()
    sb.start()
    try:
        sb.nbctl(
            "ls-add", "sw0",
            "--", "lsp-add", "sw0", P1[0],
            "--", "lsp-set-addresses", P1[0], f"{P1[1]} {P1[2]}",
            "--", "lsp-set-port-security", P1[0], f"{P1[1]} {P1[2]}",
            "--", "lsp-add", "sw0", P2[0],
            "--", "lsp-set-addresses", P2[0], f"{P2[1]} {P2[2]}",
            "--", "--id=@acl", "create", "ACL", 'name="deny-80"', "direction=to-lport",
            "priority=1000", 'match="outport == \\"p2\\" && tcp.dst == 80"', "action=drop",
            "--", "add", "Logical_Switch", "sw0", "acls", "@acl")
        ofports = {name: sb.add_vif(f"vif-{name}", name, ofport=n, mac=mac)
                   for n, (name, mac, _ip) in enumerate((P1, P2), start=5)}
        sb.wait_controller()
        sb.ofports = ofports
        yield sb
    finally:
        sb.stop()


def test_start_gives_private_sockets_and_pids(box):
    assert box.running
    assert set(box.pids) == {"ovsdb-server", "nb", "sb", "ovs-vswitchd", "ovn-northd",
                             "ovn-controller"}
    for pid in box.pids.values():
        assert process_alive(pid)
    for remote in (box.nb_remote, box.sb_remote, box.ovs_remote):
        assert remote.startswith("unix:")
        assert os.path.exists(remote[5:])
        assert str(box.workdir) in remote
    assert box.nb_db_path.exists() and box.sb_db_path.exists()
    env = box.env
    assert env["OVS_RUNDIR"] == env["OVN_RUNDIR"] == str(box.workdir / "run")
    assert env["OVN_SB_DB"] == box.sb_remote


def test_chassis_registered(box):
    assert box.sbctl("--bare", "--columns=name", "list", "Chassis").split() == [box.system_id]
    assert box.ofports == {"p1": 5, "p2": 6}


def test_ovn_trace_delivers_and_drops(box):
    ok = box.run(["ovn-trace", "--db", box.sb_remote, "sw0", _flow(443)])
    assert 'ingress(dp="sw0", inport="p1")' in ok
    assert '/* output to "p2", type "" */' in ok
    denied = box.run(["ovn-trace", "--db", box.sb_remote, "--ct=new", "--ct=new", "sw0", _flow(80)])
    assert "ls_out_acl" in denied
    assert "output to" not in denied


def test_ofproto_trace_outputs_and_drops(box):
    base = (f"in_port={box.ofports['p1']},tcp,dl_src={P1[1]},dl_dst={P2[1]},"
            f"nw_src={P1[2]},nw_dst={P2[2]},nw_ttl=64,tcp_src=40000")
    ok = box.appctl("ovs-vswitchd", "ofproto/trace", "br-int", base + ",tcp_dst=443",
                    "--ct-next", "trk,new")
    assert 'bridge("br-int")' in ok
    assert f"output:{box.ofports['p2']}" in ok
    denied = box.appctl("ovs-vswitchd", "ofproto/trace", "br-int", base + ",tcp_dst=80",
                        "--ct-next", "trk,new", "--ct-next", "trk,new")
    assert denied.rstrip().splitlines()[-1] == "Datapath actions: drop"


def test_run_errors_carry_stderr(box):
    with pytest.raises(SandboxCommandError) as err:
        box.nbctl("lsp-add", "no-such-switch", "x")
    assert "no-such-switch" in str(err.value)
    assert err.value.returncode != 0
    with pytest.raises(TypeError):
        box.run("ovn-nbctl show")


def test_snapshot_and_serve_files(box, tmp_path):
    snap = box.snapshot(tmp_path / "snap")
    for name in ("nb", "sb"):
        subprocess.run(["ovsdb-tool", "db-is-standalone", str(snap[name])], check=True)
    assert sorted(p.name for p in (tmp_path / "snap").iterdir()) == ["nb.db", "sb.db"]
    with OvnSandbox.serve_files(nb=snap["nb"], sb=snap["sb"]) as served:
        assert set(served.pids) == {"nb", "sb"}
        assert "sw0" in served.nbctl("ls-list")
        out = served.run(["ovn-trace", "--db", served.sb_remote, "sw0", _flow(443)])
        assert '/* output to "p2", type "" */' in out
        pids = dict(served.pids)
    assert not any(process_alive(p) for p in pids.values())


def test_stop_ends_every_daemon_and_is_idempotent():
    sb = OvnSandbox(controller=False, vswitchd=False).start()
    pids = dict(sb.pids)
    workdir = sb.workdir
    assert set(pids) == {"ovsdb-server", "nb", "sb", "ovn-northd"}
    sb.wait_northd()
    sb.stop()
    assert sb.pids == {} and sb.started_pids == pids
    assert not any(process_alive(p) for p in pids.values())
    assert not workdir.exists()
    sb.stop()  # second call is a no-op
    assert not sb.running


def test_module_box_stops_cleanly(box):
    # runs last in this module (pytest keeps file order): stop the shared box
    # and check that each daemon it started is gone
    pids = dict(box.pids)
    box.stop()
    assert pids and not any(process_alive(p) for p in pids.values())
    with pytest.raises(SandboxCommandError):
        box.appctl("ovs-vswitchd", "version")
